"""`/cancelled list [filters]`: a page of cancelled orders with the tab and status counts."""
from __future__ import annotations

from dataclasses import replace

from domain.errors import BadFilter
from domain.filters import parse_filters
from domain.lookup import list_orders
from domain.ports import ListQuery
from handlers.deps import Deps
from handlers.render.listing import PAGE_SIZE, bad_filter_message, listing_message
from handlers.render.mrkdwn import Rendered


def list_answer(deps: Deps, words: str) -> Rendered:
    """The first (or page:N) page for the typed filters, or what is wrong with them."""
    ctx = deps.ctx()
    try:
        query = parse_filters(words, ctx.now, ctx.zone, page_size=PAGE_SIZE)
    except BadFilter as error:
        return bad_filter_message(error.message)
    return page_answer(deps, query)


def page_answer(deps: Deps, query: ListQuery) -> Rendered:
    """The page a query asks for, always PAGE_SIZE orders long."""
    query = replace(query, page_size=PAGE_SIZE)
    with deps.uow() as uow:
        listing = list_orders(uow, query, deps.ctx())
    return listing_message(listing, deps.zone)
