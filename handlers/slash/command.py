"""The `/cancelled` listener: one ephemeral answer to whoever typed it, in the acknowledgement
itself when it is ready in time (handlers/answers.py); an export is acknowledged at once and
its file sent after the acknowledgement (handlers/later.py)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers.answers import answer_in_ack
from handlers.deps import Deps
from handlers.later import after_ack, keep, kept
from handlers.render.mrkdwn import Rendered
from handlers.render.usage import usage_message
from handlers.slash.export import export_answer
from handlers.slash.history import history_answer
from handlers.slash.jobs import jobs_answer
from handlers.slash.listing import list_answer
from handlers.slash.lookup import lookup_answer
from handlers.slash.parse import Kind, Parsed, parse_text

COMMAND = "/cancelled"

# every kind but EXPORT, which is answered after the acknowledgement: it uploads a file
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

    def on_command(ack: Ack, command: dict[str, Any], respond: Respond, body: dict[str, Any],
                   client: WebClient, context: BoltContext) -> None:
        parsed = parse_text(command.get("text"))
        if parsed.kind is Kind.EXPORT:
            ack()  # the file may take a while: it follows the acknowledgement
            keep(context, parsed)
            return
        answer_in_ack(deps, ack, respond, body, client, lambda: ANSWERS[parsed.kind](deps, parsed))

    def export_after_ack(command: dict[str, Any], respond: Respond, client: WebClient,
                         context: BoltContext) -> None:
        parsed = kept(context)
        if parsed is None:  # not an export: answered in the acknowledgement
            return

        def say(note: Rendered) -> object:
            return respond(text=note.text, blocks=note.blocks, response_type="ephemeral")

        reply = export_answer(deps, client, str(command.get("user_id") or ""), parsed.arg, say)
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")

    app.command(COMMAND)(**after_ack(export_after_ack, first=on_command))
