"""`/cancelled PACKING_NO`: the lookup card."""
from __future__ import annotations

from domain.lookup import look_up
from handlers.deps import Deps
from handlers.render.lookup_card import lookup_card
from handlers.render.mrkdwn import Rendered


def lookup_answer(deps: Deps, packing_no: str) -> Rendered:
    """The card of the order; OrderNotFound goes on to the app's error handler."""
    with deps.uow() as uow:
        found = look_up(uow, packing_no, deps.ctx())
    return lookup_card(found, deps.zone)
