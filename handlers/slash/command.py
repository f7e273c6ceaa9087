"""The `/cancelled` listener: one ephemeral answer to whoever typed it, in the acknowledgement
itself when it is ready in time (handlers/answers.py)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers.answers import answer_in_ack
from handlers.deps import Deps
from handlers.errors import guarded
from handlers.render.mrkdwn import Rendered
from handlers.render.usage import usage_message
from handlers.slash.history import history_answer
from handlers.slash.jobs import jobs_answer
from handlers.slash.listing import list_answer
from handlers.slash.lookup import lookup_answer
from handlers.slash.parse import Kind, Parsed, parse_text

COMMAND = "/cancelled"

ANSWERS: dict[Kind, Callable[[Deps, Parsed], Rendered]] = {
    Kind.LOOKUP: lambda deps, parsed: lookup_answer(deps, parsed.arg),
    Kind.LIST: lambda deps, parsed: list_answer(deps, parsed.arg),
    Kind.HISTORY: lambda deps, parsed: history_answer(deps, parsed.arg),
    Kind.JOBS: lambda deps, parsed: jobs_answer(deps),
    Kind.HELP: lambda deps, parsed: usage_message(),
    Kind.USAGE: lambda deps, parsed: usage_message(parsed.reason or None),
}


def answer(deps: Deps, text: str | None) -> Rendered:
    """The reply to `/cancelled text`."""
    parsed = parse_text(text)
    return ANSWERS[parsed.kind](deps, parsed)


def register(app: App, deps: Deps) -> None:
    """Listen to the slash command."""

    @app.command(COMMAND)
    @guarded
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond, body: dict[str, Any],
                   client: WebClient) -> None:
        answer_in_ack(deps, ack, respond, body, client, lambda: answer(deps, command.get("text")))
