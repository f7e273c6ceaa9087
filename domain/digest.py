"""The morning digest: cancelled orders whose window closes soon and that still allow a request."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from domain import window
from domain.model import Action, Order
from domain.ports import ClosingQuery, UnitOfWork
from domain.status import Status, StatusContext
from domain.window import WindowView

DIGEST_SPAN = timedelta(hours=48)
DIGEST_LIMIT = 30
# Resync Available, Failed to Resync, Recoverable, Failed to Recover
REQUESTABLE = frozenset(s for s in Status if s.allows_request)


@dataclass(frozen=True)
class Closing:
    """One order of the digest, with its deadline and the time left at the digest's now."""

    order: Order
    status: Status
    window: WindowView

    @property
    def action(self) -> Action:
        action = self.status.category.action
        if action is None:  # the digest lists resync and restore statuses only
            raise ValueError(f"{self.status.label} has no action")
        return action


@dataclass(frozen=True)
class ClosingSoon:
    """The orders shown (soonest deadline first) and how many match in all."""

    items: list[Closing]
    total: int
    now: datetime
    within: timedelta
    zone: tzinfo

    @property
    def until(self) -> datetime:
        """The end of the span: every order listed closes by then."""
        return span_end(self.now, self.within, self.zone)

    @property
    def more(self) -> int:
        """Matches not among items."""
        return self.total - len(self.items)


def closing_soon(
    uow: UnitOfWork, ctx: StatusContext, within: timedelta = DIGEST_SPAN,
    limit: int = DIGEST_LIMIT,
) -> ClosingSoon:
    """Orders a request can be made for now whose window closes within `within`, soonest first.

    An order whose request waits for approval is left out: somebody is already on it.
    """
    if within <= timedelta(0):
        raise ValueError("within must be a positive duration")
    # the window closes in (now, until] exactly when cancelled_at is in
    # (open_since(now), open_since(until)]: the window test read backwards, as the list does
    query = ClosingQuery(
        cancelled_after=ctx.open_since,
        cancelled_until=window.open_since(span_end(ctx.now, within, ctx.zone), ctx.zone),
        statuses=REQUESTABLE, limit=limit,
    )
    page = uow.orders.closing(query, ctx)
    items = [Closing(x.order, x.status, _window(x.order, ctx)) for x in page.items]
    return ClosingSoon(items, page.total, ctx.now, within, ctx.zone)


def span_end(now: datetime, within: timedelta, zone: tzinfo) -> datetime:
    """now + within of elapsed time (not of wall clock), in the business time zone."""
    return (now.astimezone(UTC) + within).astimezone(zone)


def _window(order: Order, ctx: StatusContext) -> WindowView:
    return window.window_view(order.when_cancelled, ctx.now, ctx.zone)


def digest_day(now: datetime, zone: tzinfo) -> str:
    """The business day a digest posted at now is for: YYYY-MM-DD in the business time zone."""
    return now.astimezone(zone).date().isoformat()
