"""The `/cancelled` listener: ack at once, then one ephemeral answer to whoever typed it."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.errors import guarded
from handlers.render.mrkdwn import Rendered
from handlers.render.usage import usage_message
from handlers.slash.export import export_answer
from handlers.slash.history import history_answer
from handlers.slash.jobs import jobs_answer
from handlers.slash.listing import list_answer
from handlers.slash.lookup import lookup_answer
from handlers.slash.parse import Kind, Parsed, parse_text

COMMAND = "/cancelled"

# every kind but EXPORT, which the listener answers itself: it needs the client and the person
ANSWERS: dict[Kind, Callable[[Deps, Parsed], Rendered]] = {
    Kind.LOOKUP: lambda deps, parsed: lookup_answer(deps, parsed.arg),
    Kind.LIST: lambda deps, parsed: list_answer(deps, parsed.arg),
    Kind.HISTORY: lambda deps, parsed: history_answer(deps, parsed.arg),
    Kind.JOBS: lambda deps, parsed: jobs_answer(deps),
    Kind.HELP: lambda deps, parsed: usage_message(),
    Kind.USAGE: lambda deps, parsed: usage_message(parsed.reason or None),
}


def register(app: App, deps: Deps) -> None:
    """Listen to the slash command."""

    @app.command(COMMAND)
    @guarded
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond,
                   client: WebClient) -> None:
        ack()  # nothing before it: Slack gives up after 3 seconds
        parsed = parse_text(command.get("text"))
        if parsed.kind is Kind.EXPORT:  # runs after the ack: it may take a while

            def say(note: Rendered) -> object:
                return respond(text=note.text, blocks=note.blocks, response_type="ephemeral")

            reply = export_answer(deps, client, str(command.get("user_id") or ""), parsed.arg,
                                  say)
        else:
            reply = ANSWERS[parsed.kind](deps, parsed)
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
