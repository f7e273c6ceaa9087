"""`/cancelled history PACKING_NO`: the audit trail of an order."""
from __future__ import annotations

from domain.lookup import history
from handlers.deps import Deps
from handlers.render.history import history_message
from handlers.render.mrkdwn import Rendered


def history_answer(deps: Deps, packing_no: str) -> Rendered:
    """The order's events, oldest first; OrderNotFound goes on to the app's error handler."""
    with deps.uow() as uow:
        order, events = history(uow, packing_no)
    return history_message(order, events, deps.zone)
