"""`/cancelled PACKING_NO`: the lookup card."""
from __future__ import annotations

from domain.errors import OrderNotFound
from domain.lookup import look_up
from handlers.deps import Deps
from handlers.render.lookup_card import lookup_card
from handlers.render.mrkdwn import Rendered, section

NOT_FOUND_HINT = "Check the number, or see `/cancelled help` for what else the command takes."


def lookup_answer(deps: Deps, packing_no: str) -> Rendered:
    """The card of the order, or why there is none."""
    try:
        with deps.uow() as uow:
            found = look_up(uow, packing_no, deps.ctx())
    except OrderNotFound as error:  # maybe a mistyped sub-command ("lst 7d"): say what else works
        text = f"{error.message} {NOT_FOUND_HINT}"
        return Rendered(text, [section(text)])
    return lookup_card(found, deps.zone)
