"""Bulk requests from a list page: one request, one approval, one job per order that allows it."""
from __future__ import annotations

from dataclasses import dataclass

from domain.errors import RequestNotAllowed
from domain.model import Action
from domain.ports import Listed, ListQuery, UnitOfWork
from domain.rules import check_request
from domain.status import StatusContext
from domain.workflow import Submitted, submit_request

MAX_BULK_ORDERS = 100  # one list page at most; a bigger batch is a job for the CLI, not a click


@dataclass(frozen=True)
class Skipped:
    packing_no: str
    reason: str


@dataclass(frozen=True)
class BulkSubmitted:
    submitted: Submitted
    skipped: list[Skipped]


def submit_bulk_request(
    uow: UnitOfWork, query: ListQuery, action: Action, requested_by: str, note: str,
    ctx: StatusContext,
) -> BulkSubmitted:
    """Request action for every order on the query's page that allows it now; say why others
    were left out. Refused, with nothing written, when no order on the page allows it."""
    if query.page_size > MAX_BULK_ORDERS:
        raise RequestNotAllowed(f"A bulk request takes at most {MAX_BULK_ORDERS} orders.")
    page = uow.orders.page(query, ctx)
    chosen, skipped = partition(page.items, action, ctx)
    if not chosen:
        raise RequestNotAllowed(
            f"None of the {len(page.items)} orders on this page can be {_past(action)} now."
        )
    return BulkSubmitted(submit_request(uow, chosen, action, requested_by, note, ctx), skipped)


def partition(items: list[Listed], action: Action,
              ctx: StatusContext) -> tuple[list[str], list[Skipped]]:
    """The packing numbers of the listed orders that allow action now, and the others with
    the reason."""
    chosen, skipped = [], []
    for listed in items:
        check = check_request(listed.order, ctx)
        if check.allowed and check.action is action:
            chosen.append(listed.order.packing_no)
        else:
            reason = (" ".join(check.reasons)
                      or f"{listed.status.label}: it cannot be {_past(action)}")
            skipped.append(Skipped(listed.order.packing_no, reason))
    return chosen, skipped


def _past(action: Action) -> str:
    return "resynced" if action is Action.RESYNC else "restored"
