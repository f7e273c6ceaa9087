"""Listeners that call Slack: the acknowledgement is sent first, and the Slack work runs after
it, as a Bolt lazy listener in the app's thread pool (the app processes each request before
answering it, so whatever a listener does before returning delays the acknowledgement)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext

from handlers.errors import guarded

# where a listener's acknowledging part leaves what its lazy part needs (Bolt copies the
# request's context for the lazy part)
KEPT = "cancelbot_kept"


def acknowledge(ack: Ack) -> None:
    """The acknowledgement alone: the listener's work follows it."""
    ack()


def after_ack(work: Callable[..., Any],
              first: Callable[..., Any] = acknowledge) -> dict[str, Any]:
    """Bolt's listener arguments: first (by default only the acknowledgement), then work as a
    lazy listener; both report their failures as `guarded` does."""
    return {"ack": guarded(first) if first is not acknowledge else first,
            "lazy": [guarded(work)]}


def keep(context: BoltContext, value: object) -> None:
    """Leave value for the lazy part of this listener."""
    context[KEPT] = value


def kept(context: BoltContext) -> Any:
    """What the acknowledging part left (None: it refused, and nothing follows)."""
    return context.get(KEPT)
