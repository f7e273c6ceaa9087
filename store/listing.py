"""The list page and its counts, with the recovery status computed in SQL.

`phase_expression` is domain.status.phase_of written as a CASE; a test holds the two equal.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from domain.model import Category
from domain.ports import Counts, ListQuery, Listed, Page
from domain.status import Phase, Status, StatusContext
from store.mapping import to_order
from store.models import OrderRow

O = OrderRow


def phase_expression(ctx: StatusContext) -> ColumnElement[str]:
    """CASE over category, recovery, window and site readiness, with the domain's precedence."""
    window_closed = O.cancelled_at <= ctx.open_since
    site_not_ready: ColumnElement[bool] = (
        and_(O.category == Category.API.value, O.sales_site.in_(sorted(ctx.sites_not_ready)))
        if ctx.sites_not_ready
        else literal(False)
    )
    return case(
        (O.category == Category.SITE.value, Phase.NONE.value),
        (O.recovery == "done", Phase.DONE.value),
        (O.recovery == "in_progress", Phase.IN_PROGRESS.value),
        (or_(window_closed, site_not_ready, O.recovery == "failed_final"), Phase.UNAVAILABLE.value),
        (O.recovery == "failed_retry", Phase.FAILED.value),
        else_=Phase.AVAILABLE.value,
    )


def _filters(query: ListQuery) -> list[ColumnElement[bool]]:
    """Filters shared by the counts and the page: seller, site and the date range."""
    conditions: list[ColumnElement[bool]] = [O.category.is_not(None)]
    if query.seller:
        conditions.append(O.seller_id == query.seller)
    if query.site:
        conditions.append(O.sales_site == query.site.lower())
    if query.date_from:
        conditions.append(O.cancelled_at >= query.date_from)
    if query.date_to:
        conditions.append(O.cancelled_at < query.date_to)
    return conditions


def counts(session: Session, query: ListQuery, ctx: StatusContext) -> Counts:
    """Tab counts ignore the category and status filters; status counts follow the category."""
    phase = phase_expression(ctx).label("phase")
    rows = session.execute(
        select(O.category, phase, func.count())
        .where(*_filters(query))
        .group_by(O.category, phase)
    ).all()
    by_category = {c: 0 for c in Category}
    by_status: dict[Status, int] = {}
    for category_value, phase_value, n in rows:
        category = Category(category_value)
        by_category[category] += n
        if query.category in (None, category):
            status = Status.of(category, Phase(phase_value))
            by_status[status] = by_status.get(status, 0) + n
    return Counts(by_category, by_status)


def _status_condition(status: Status, phase: ColumnElement[str]) -> ColumnElement[bool]:
    return and_(O.category == status.category.value, phase == status.phase.value)


def page(session: Session, query: ListQuery, ctx: StatusContext, total: int | None = None) -> Page:
    """One page of matching orders, newest cancellation first, each with its status."""
    phase = phase_expression(ctx)
    conditions = _filters(query)
    if query.category:
        conditions.append(O.category == query.category.value)
    if query.status:
        conditions.append(_status_condition(query.status, phase))
    if total is None:
        total = session.scalar(select(func.count()).select_from(O).where(*conditions)) or 0
    rows = session.execute(
        select(O, phase.label("phase"))
        .where(*conditions)
        .order_by(O.cancelled_at.desc(), O.id.desc())
        .limit(query.page_size)
        .offset(query.page * query.page_size)
    ).all()
    items = [_listed(row, phase_value) for row, phase_value in rows]
    return Page(items, total, query.page, query.page_size)


def _listed(row: Any, phase_value: str) -> Listed:
    order = to_order(row)
    return Listed(order, Status.of(order.category, Phase(phase_value)))  # type: ignore[arg-type]
