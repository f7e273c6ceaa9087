"""The `/cancelled` listeners: one ephemeral answer to whoever typed it, in the acknowledgement
itself when it is ready in time (handlers/answers.py); an export, a listener of its own, is
acknowledged at once and its file sent after the acknowledgement (handlers/later.py)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers.answers import answer_in_ack
from handlers.deps import Deps
from handlers.errors import guarded
from handlers.later import after_ack
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


def is_export(command: dict[str, Any]) -> bool:
    """Whether the command's text asks for an export (Bolt calls it as a listener matcher)."""
    return parse_text(command.get("text")).kind is Kind.EXPORT


def is_not_export(command: dict[str, Any]) -> bool:
    """Whether the command's text asks for anything but an export."""
    return not is_export(command)


def register(app: App, deps: Deps) -> None:
    """Listen to the slash command: an export, and everything else."""

    def on_command(ack: Ack, command: dict[str, Any], respond: Respond, body: dict[str, Any],
                   client: WebClient) -> None:
        parsed = parse_text(command.get("text"))
        answer_in_ack(deps, ack, respond, body, client, lambda: ANSWERS[parsed.kind](deps, parsed))

    def on_export(command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        parsed = parse_text(command.get("text"))

        def say(note: Rendered) -> object:
            return respond(text=note.text, blocks=note.blocks, response_type="ephemeral")

        reply = export_answer(deps, client, str(command.get("user_id") or ""), parsed.arg, say)
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")

    # the file may take a while: it follows the acknowledgement, in the app's thread pool; no
    # other command starts any work there
    app.command(COMMAND, matchers=[is_export])(**after_ack(on_export))
    app.command(COMMAND, matchers=[is_not_export])(guarded(on_command))
