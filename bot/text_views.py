"""Plain-text views of a lookup, a list and a history: what the Slack views show, for a terminal.

Pure functions of their arguments; every date is shown in the business time zone.
"""
from __future__ import annotations

from datetime import datetime, tzinfo

from domain.lookup import JobsOverview, Listing, Lookup
from domain.model import Action, CancelledBy, Category, Order
from domain.ports import AuditEvent, Listed
from domain.remote_recovery import waiting_words
from domain.requests import JobState
from domain.status import Phase, Status
from domain.window import describe_duration, format_local

BUTTONS = {Action.RESYNC: "[Request resync]", Action.RESTORE: "[Request restore]"}
LABEL_WIDTH = 16


def _field(label: str, value: str) -> str:
    return f"{label:<{LABEL_WIDTH}}{value}"


def _when(value: datetime | None, zone: tzinfo) -> str:
    return format_local(value, zone) if value else "-"


def _order_fields(order: Order) -> list[str]:
    return [
        _field("Packing number", order.packing_no),
        _field("Seller", order.seller_id),
        _field("Sales site", f"{order.sales_site}, sales order {order.sales_order_no}"),
        _field("Origin", order.origin.value),
    ]


def _cancellation_fields(order: Order, zone: tzinfo) -> list[str]:
    by = "by the seller" if order.cancelled_by is CancelledBy.SELLER else "at the sales site"
    return [
        _field("Category", order.category.label),  # type: ignore[union-attr]
        _field("Cancelled", f"{_when(order.cancelled_at, zone)} {by}"),
        _field("Paid", _when(order.payment_at, zone)),
    ]


def _deadline(found: Lookup, zone: tzinfo) -> list[str]:
    """The deadline, only where a request could still matter (not for no-action or done)."""
    view, status = found.window, found.status
    if view is None or status is None or status.status.phase in (Phase.NONE, Phase.DONE):
        return []
    left = f"{describe_duration(view.time_left)} left" if view.open else "closed"
    return [_field("Deadline", f"{format_local(view.deadline, zone)} ({left})")]


def _status_line(found: Lookup) -> str:
    status = found.status
    assert status is not None
    return _field("Status", f"{status.status.label}: {status.explanation}")


def action_button(found: Lookup) -> str | None:
    """The one action allowed now, as a button label, or None."""
    check = found.check
    if check is None or not check.allowed or check.action is None:
        return None
    return BUTTONS[check.action]


def _header(found: Lookup) -> list[str]:
    order = found.order
    if not order.superseded_by:
        return []
    line = (
        f"{order.packing_no} was resynced: the new packing number is {order.superseded_by}, "
        f"and {order.packing_no} is no longer valid."
    )
    if found.successor and found.successor.stage:
        stage = found.successor.stage.label
        line += f" {found.successor.packing_no} is in processing (stage: {stage})."
    return [line, ""]


def render_lookup(found: Lookup, zone: tzinfo) -> str:
    """The lookup card: a cancelled order's status, deadline, warnings and allowed action."""
    if found.is_active:
        return render_active(found.order)
    if found.restored:
        return render_restored(found, zone)
    lines = _header(found) + _order_fields(found.order)
    lines += _cancellation_fields(found.order, zone)
    lines += [_status_line(found)] + _deadline(found, zone)
    lines += [_field("Warning", w) for w in (found.check.warnings if found.check else ())]
    button = action_button(found)
    return "\n".join(lines + ([button] if button else []))


def _stage_sentence(order: Order) -> str:
    stage = order.stage.label if order.stage else "unknown"
    return (
        f"{order.packing_no} is not cancelled: it is in Order Management "
        f"(processing stage: {stage})."
    )


def render_active(order: Order) -> str:
    """An order that was never a cancelled delivery: its processing stage."""
    lines = [_stage_sentence(order)]
    if order.resynced_from:
        lines.append(f"It was made by a resync of {order.resynced_from}.")
    return "\n".join(lines + [""] + _order_fields(order))


def render_restored(found: Lookup, zone: tzinfo) -> str:
    """A cancelled order a restore brought back, with the same packing number."""
    order = found.order
    lines = [
        _stage_sentence(order), "It came back through a restore, with the same packing number.", ""
    ]
    lines += _order_fields(order) + _cancellation_fields(order, zone)
    return "\n".join(lines + [_status_line(found)])


def _count_line(label: str, count: int) -> str:
    return f"  {label:<46}{count:>5}"


def _statuses_in_scope(category: Category | None) -> list[Status]:
    return [s for s in Status if category in (None, s.category)]


def _row(item: Listed, zone: tzinfo) -> str:
    order = item.order
    return (
        f"{order.packing_no:<16}{order.seller_id:<16}{order.sales_site:<13}"
        f"{_when(order.cancelled_at, zone):<22}{item.status.label}"
    )


def render_listing(listing: Listing, zone: tzinfo, filters: str = "") -> str:
    """Tab counts, status counts, then one page of orders and where it is in the pages."""
    counts, page = listing.counts, listing.page
    lines = [f"Cancelled deliveries ({filters or 'no filters'})", "", "Tabs"]
    lines += [_count_line(c.label, counts.by_category.get(c, 0)) for c in Category]
    lines += ["", "Statuses"]
    lines += [
        _count_line(s.label, counts.by_status.get(s, 0))
        for s in _statuses_in_scope(listing.query.category)
    ]
    lines.append("")
    if page.total == 0:
        return "\n".join(lines + ["No cancelled orders match these filters."])
    lines.append(f"{'PACKING NO':<16}{'SELLER':<16}{'SITE':<13}{'CANCELLED AT':<22}STATUS")
    lines += [_row(item, zone) for item in page.items] or ["(no orders on this page)"]
    total = f"{page.total} order{'' if page.total == 1 else 's'}"
    return "\n".join(lines + [f"page {page.page + 1} of {page.pages} ({total})"])


def _event_line(event: AuditEvent, zone: tzinfo) -> str:
    refs = " ".join(
        ref for ref in (
            event.packing_no or "",
            f"request #{event.request_id}" if event.request_id else "",
            f"job #{event.job_id}" if event.job_id else "",
        ) if ref
    )
    detail = f": {event.detail}" if event.detail else ""
    return f"{format_local(event.at, zone)}  {event.kind} by {event.actor} ({refs}){detail}"


def render_history(order: Order, events: list[AuditEvent], zone: tzinfo) -> str:
    """The audit trail of an order, oldest first."""
    if not events:
        return f"Nothing has been requested for {order.packing_no} yet."
    return "\n".join([f"History of {order.packing_no}"] + [_event_line(e, zone) for e in events])


def render_jobs(overview: JobsOverview, zone: tzinfo) -> str:
    """Jobs queued or running, then results still waiting for Slack, with attempts and errors."""
    lines = [f"Jobs queued or running: {len(overview.jobs)}"]
    lines += [
        f"  #{job.id} {job.action.value} {job.packing_no} (request #{job.request_id}): "
        + (waiting_words(job, zone) if job.state is JobState.WAITING
           else f"{job.state.value.replace('_', ' ')}, attempt {job.attempts}")
        for job in overview.jobs
    ]
    lines.append(f"Results not yet in their Slack thread: {len(overview.undelivered)}")
    for message in overview.undelivered:
        line = f"  request #{message.request_id} ({message.payload.get('packing_no', '?')}): "
        if message.attempts:
            retry = _when(message.next_attempt_at, zone) if message.next_attempt_at else "soon"
            line += (f"{message.attempts} failed attempt{'s' if message.attempts != 1 else ''}, "
                     f"last error: {message.last_error or 'unknown'}; next try {retry}")
        else:
            line += "waiting for its first delivery"
        lines.append(line)
    return "\n".join(lines)
