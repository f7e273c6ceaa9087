"""The list page and its counts, with the recovery status computed in SQL.

`phase_expression` is domain.status.phase_of written as a CASE; a test holds the two equal.
The counts never evaluate it row by row, and never scan the orders: see `counts`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from domain.model import Category, Recovery
from domain.ports import ClosingQuery, Counts, Listed, ListQuery, Page
from domain.status import Phase, Status, StatusContext, phase_of
from store.mapping import to_order
from store.models import OrderCountRow, OrderDayCountRow, OrderRow

R = OrderRow  # short, as the queries below name its columns often
C, D = OrderCountRow, OrderDayCountRow
DAY = timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)  # the stored times' resolution


def phase_expression(ctx: StatusContext) -> ColumnElement[str]:
    """CASE over category, recovery, window and site readiness, with the domain's precedence."""
    window_closed = R.cancelled_at <= ctx.open_since
    site_not_ready: ColumnElement[bool] = (
        and_(R.category == Category.API.value, R.sales_site.in_(sorted(ctx.sites_not_ready)))
        if ctx.sites_not_ready
        else literal(False)
    )
    return case(
        (R.category == Category.SITE.value, Phase.NONE.value),
        (R.recovery == Recovery.DONE.value, Phase.DONE.value),
        (R.recovery == Recovery.IN_PROGRESS.value, Phase.IN_PROGRESS.value),
        (or_(window_closed, site_not_ready), Phase.UNAVAILABLE.value),
        (R.recovery == Recovery.FAILED_RETRY.value, Phase.FAILED.value),
        else_=Phase.AVAILABLE.value,
    )


def _filters(query: ListQuery) -> list[ColumnElement[bool]]:
    """Filters shared by the counts and the page: seller, site and the date range."""
    # cancelled_at IS NOT NULL is implied by the category, but said so that PostgreSQL's
    # backward scan of ix_orders_cancelled_at skips the active orders' NULLs (sorted first)
    conditions: list[ColumnElement[bool]] = [R.category.is_not(None), R.cancelled_at.is_not(None)]
    if query.seller:
        conditions.append(R.seller_id == query.seller)
    if query.site:
        conditions.append(R.sales_site == query.site.lower())
    if query.date_from:
        conditions.append(R.cancelled_at >= query.date_from)
    if query.date_to:
        conditions.append(R.cancelled_at < query.date_to)
    return conditions


def counts(session: Session, query: ListQuery, ctx: StatusContext) -> Counts:
    """Tab counts ignore the category and status filters; status counts follow the category.

    Outside the 14-day window the phase depends on category and recovery alone, so every
    matching order is counted per (category, recovery), and those still inside the window are
    counted again per site and moved to their open-window phase. Both counts are sums over
    the tables the triggers of migration 0006 keep (see `_tally`), never a scan of the orders.
    """
    totals = _tally(session, query, query.date_from, query.date_to)
    opened = ctx.open_since + MICROSECOND  # inside the window: cancelled after open_since
    since = max(query.date_from, opened) if query.date_from else opened
    inside = _tally(session, query, since, query.date_to) \
        if query.date_to is None or since < query.date_to else []
    tally: Counter[tuple[Category, Phase]] = Counter()
    for category_value, recovery_value, _, n in totals:
        category, recovery = Category(category_value), Recovery(recovery_value)
        tally[category, phase_of(category, recovery, False, True)] += n
    for category_value, recovery_value, site, n in inside:
        category, recovery = Category(category_value), Recovery(recovery_value)
        tally[category, phase_of(category, recovery, False, True)] -= n
        tally[category, phase_of(category, recovery, True, ctx.site_ready(site))] += n
    return _counts(tally, query)


Tally = list[tuple[str, str, str, int]]  # (category, recovery, sales site, orders)


def _tally(session: Session, query: ListQuery, since: datetime | None,
           until: datetime | None) -> Tally:
    """The seller's and site's cancelled orders in [since, until) (None: unbounded), counted
    per (category, recovery, site): from `order_counts` when unbounded, else the whole UTC
    days inside the range from `order_day_counts` and the part-days at its ends from the
    orders (at most a day each, on the cancellation-time indexes). A seller's range is read
    from the orders, on ix_orders_seller_cancelled: the day counts leave sellers out."""
    if since is None and until is None:
        return _summed(session, C, query, [])
    if query.seller:
        return _from_orders(session, query, since, until)
    first = _next_midnight(since) if since else None
    last = _midnight(until) if until else None
    if first and last and first >= last:
        return _from_orders(session, query, since, until)
    days = [] if first is None else [D.day >= _day(first)]
    days += [] if last is None else [D.day < _day(last)]
    found = _summed(session, D, query, days)
    if since is not None and first is not None and since < first:
        found += _from_orders(session, query, since, first)
    if until is not None and last is not None and last < until:
        found += _from_orders(session, query, last, until)
    return found


def _summed(session: Session, table: type[OrderCountRow] | type[OrderDayCountRow],
            query: ListQuery, where: list[ColumnElement[bool]]) -> Tally:
    if query.seller and table is C:
        where.append(C.seller_id == query.seller)
    if query.site:
        where.append(table.sales_site == query.site.lower())
    keys = (table.category, table.recovery, table.sales_site)
    return [(c, r, s, int(n)) for c, r, s, n in session.execute(
        select(*keys, func.sum(table.n)).where(*where).group_by(*keys))]


def _from_orders(session: Session, query: ListQuery, since: datetime | None,
                 until: datetime | None) -> Tally:
    where = _filters(replace(query, date_from=since, date_to=until))
    keys = (R.category, R.recovery, R.sales_site)
    # category is never NULL here (_filters says so), whatever its column's type allows
    return [(c or "", r, s, n) for c, r, s, n in session.execute(
        select(*keys, func.count()).where(*where).group_by(*keys))]


def _midnight(at: datetime) -> datetime:
    """The UTC midnight at or before at: where a day of order_day_counts begins."""
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _next_midnight(at: datetime) -> datetime:
    """The UTC midnight at or after at."""
    midnight = _midnight(at)
    return midnight if midnight == at else midnight + DAY


def _day(midnight: datetime) -> str:
    return midnight.strftime("%Y-%m-%d")


def _counts(tally: Counter[tuple[Category, Phase]], query: ListQuery) -> Counts:
    by_category = {c: 0 for c in Category}
    by_status: dict[Status, int] = {}
    for (category, phase), n in tally.items():
        by_category[category] += n
        if n and query.category in (None, category):
            by_status[Status.of(category, phase)] = n
    return Counts(by_category, by_status)


def _status_condition(status: Status, ctx: StatusContext) -> ColumnElement[bool]:
    """The orders in the status, as (recovery, window, site) cases read off phase_of's table.

    Plain comparisons rather than `CASE … = phase`, which PostgreSQL estimates at 0.5% of the
    rows whatever the phase (and then sorts a common status instead of reading it in order).
    """
    readies = (True, False) if ctx.sites_not_ready else (True,)
    table = {(open_, ready): _recoveries(status, open_, ready)
             for open_ in (True, False) for ready in readies}
    category = R.category == status.category.value
    if len(set(table.values())) == 1:  # neither the window nor the site matters
        return and_(category, _recovery_in(table[True, True]))
    cases = [c for open_ in (True, False) for c in _window_cases(table, open_, readies, ctx)]
    return and_(category, or_(*cases))


def _window_cases(
    table: dict[tuple[bool, bool], frozenset[str]], open_: bool, readies: tuple[bool, ...],
    ctx: StatusContext,
) -> list[ColumnElement[bool]]:
    """The cases on one side of the window, split by site readiness only where it matters."""
    window = R.cancelled_at > ctx.open_since if open_ else R.cancelled_at <= ctx.open_since
    sets = {ready: table[open_, ready] for ready in readies}
    if len(set(sets.values())) == 1:
        return [and_(_recovery_in(sets[True]), window)] if sets[True] else []
    not_ready = sorted(ctx.sites_not_ready)
    site = {True: R.sales_site.not_in(not_ready), False: R.sales_site.in_(not_ready)}
    return [and_(_recovery_in(rs), window, site[ready]) for ready, rs in sets.items() if rs]


def _recoveries(status: Status, open_: bool, ready: bool) -> frozenset[str]:
    return frozenset(r.value for r in Recovery
                     if phase_of(status.category, r, open_, ready) is status.phase)


def _recovery_in(values: frozenset[str]) -> ColumnElement[bool]:
    if len(values) == len(Recovery):
        return literal(True)
    return R.recovery.in_(sorted(values))


def page(session: Session, query: ListQuery, ctx: StatusContext, total: int | None = None) -> Page:
    """One page of matching orders, newest cancellation first, each with its status."""
    phase = phase_expression(ctx)
    conditions = _filters(query)
    if query.category:
        conditions.append(R.category == query.category.value)
    if query.status:
        conditions.append(_status_condition(query.status, ctx))
    if total is None:
        total = session.scalar(select(func.count()).select_from(R).where(*conditions)) or 0
    # never ask for rows past the total: the last page of a rare status would otherwise read
    # the rest of ix_orders_cancelled_at looking for more
    offset = query.page * query.page_size
    limit = min(query.page_size, total - offset)
    rows = session.execute(
        select(R, phase.label("phase"))
        .where(*conditions)
        .order_by(R.cancelled_at.desc(), R.id.desc())
        .limit(limit)
        .offset(offset)
    ).all() if limit > 0 else []
    items = [_listed(row, phase_value) for row, phase_value in rows]
    return Page(items, total, query.page, query.page_size)


def closing(session: Session, query: ClosingQuery, ctx: StatusContext) -> Page:
    """Orders in the statuses cancelled in the span, oldest cancellation (soonest deadline) first.

    The span is a range of ix_orders_cancelled_at read forward; the statuses are the same
    conditions the list page filters on.
    """
    if not query.statuses:
        return Page([], 0, 0, query.limit)
    conditions = [
        R.category.is_not(None),
        R.cancelled_at > query.cancelled_after,
        R.cancelled_at <= query.cancelled_until,
        or_(*(_status_condition(status, ctx) for status in sorted(query.statuses))),
    ]
    if not query.include_awaiting:
        conditions.append(R.recovery != Recovery.AWAITING.value)
    total = session.scalar(select(func.count()).select_from(R).where(*conditions)) or 0
    rows = session.execute(
        select(R, phase_expression(ctx).label("phase"))
        .where(*conditions)
        .order_by(R.cancelled_at, R.id)
        .limit(query.limit)
    ).all() if total else []
    return Page([_listed(row, phase) for row, phase in rows], total, 0, query.limit)


def _listed(row: Any, phase_value: str) -> Listed:
    order = to_order(row)
    return Listed(order, Status.of(order.tab, Phase(phase_value)))
