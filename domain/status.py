"""Recovery status, derived from an order, its latest request, the window and the sales site."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from domain import window
from domain.model import Action, Category, Order, Recovery


class Phase(str, enum.Enum):
    """The five rows of the status table, shared by both families, plus the no-action tab."""

    AVAILABLE = "available"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"
    NONE = "none"


class Status(str, enum.Enum):
    """Status labels exactly as the menu shows them; the value is the slash-grammar key."""

    RESYNC_AVAILABLE = "resync_available"
    RESYNCING = "resyncing"
    RESYNCED = "resynced"
    FAILED_TO_RESYNC = "failed_to_resync"
    RESYNC_UNAVAILABLE = "resync_unavailable"
    RECOVERABLE = "recoverable"
    RECOVERING = "recovering"
    RECOVERED = "recovered"
    FAILED_TO_RECOVER = "failed_to_recover"
    UNRECOVERABLE = "unrecoverable"
    NO_ACTION = "no_action"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def phase(self) -> Phase:
        return _PHASES[self]

    @property
    def category(self) -> Category:
        return _CATEGORIES[self]

    @property
    def allows_request(self) -> bool:
        return self.phase in (Phase.AVAILABLE, Phase.FAILED)

    @classmethod
    def of(cls, category: Category, phase: Phase) -> Status:
        """The status of a category in a phase."""
        return _BY_CATEGORY_PHASE[(category, phase)]

    @classmethod
    def parse(cls, text: str) -> Status:
        """Read a status from its key or label, forgiving case, spaces, dashes and underscores."""
        key = "".join(ch for ch in text.lower() if ch.isalnum())
        for status in cls:
            if key in (status.value.replace("_", ""), status.label.lower().replace(" ", "")):
                return status
        raise ValueError(text)


_TABLE = {
    # status: (label, category, phase)
    Status.RESYNC_AVAILABLE: ("Resync Available", Category.API, Phase.AVAILABLE),
    Status.RESYNCING: ("Resyncing", Category.API, Phase.IN_PROGRESS),
    Status.RESYNCED: ("Resynced", Category.API, Phase.DONE),
    Status.FAILED_TO_RESYNC: ("Failed to Resync", Category.API, Phase.FAILED),
    Status.RESYNC_UNAVAILABLE: ("Resync Unavailable", Category.API, Phase.UNAVAILABLE),
    Status.RECOVERABLE: ("Recoverable", Category.EXCEL, Phase.AVAILABLE),
    Status.RECOVERING: ("Recovering", Category.EXCEL, Phase.IN_PROGRESS),
    Status.RECOVERED: ("Recovered", Category.EXCEL, Phase.DONE),
    Status.FAILED_TO_RECOVER: ("Failed to Recover", Category.EXCEL, Phase.FAILED),
    Status.UNRECOVERABLE: ("Unrecoverable", Category.EXCEL, Phase.UNAVAILABLE),
    Status.NO_ACTION: ("No Action", Category.SITE, Phase.NONE),
}
_LABELS = {s: row[0] for s, row in _TABLE.items()}
_CATEGORIES = {s: row[1] for s, row in _TABLE.items()}
_PHASES = {s: row[2] for s, row in _TABLE.items()}
_BY_CATEGORY_PHASE = {(row[1], row[2]): s for s, row in _TABLE.items()}


@dataclass(frozen=True)
class StatusContext:
    """What a status depends on besides the order: the clock, the zone and site readiness."""

    now: datetime
    zone: tzinfo
    sites_not_ready: frozenset[str] = field(default_factory=frozenset)

    @property
    def open_since(self) -> datetime:
        return window.open_since(self.now, self.zone)

    def site_ready(self, sales_site: str) -> bool:
        return sales_site.lower() not in self.sites_not_ready


def phase_of(
    category: Category, recovery: Recovery, window_open: bool, site_ready: bool
) -> Phase:
    """The precedence: done > in progress > unavailable > failed > available."""
    if category is Category.SITE:
        return Phase.NONE
    if recovery is Recovery.DONE:
        return Phase.DONE
    if recovery is Recovery.IN_PROGRESS:
        return Phase.IN_PROGRESS
    needs_site = category.action is Action.RESYNC
    # rule 5: only a closed window or a site that is not ready makes an order unavailable;
    # a failure, whatever its reason, leaves it Failed with a new request allowed
    if not window_open or (needs_site and not site_ready):
        return Phase.UNAVAILABLE
    if recovery is Recovery.FAILED_RETRY:
        return Phase.FAILED
    return Phase.AVAILABLE


def status_of(order: Order, ctx: StatusContext) -> Status:
    """The derived recovery status of a cancelled order."""
    category = order.category
    if category is None:
        raise ValueError(f"{order.packing_no} is not a cancelled delivery")
    open_ = window.is_open(order.when_cancelled, ctx.now, ctx.zone)
    phase = phase_of(category, order.recovery, open_, ctx.site_ready(order.sales_site))
    return Status.of(category, phase)


@dataclass(frozen=True)
class StatusView:
    status: Status
    explanation: str


def explain(order: Order, ctx: StatusContext, last_failure: str | None = None) -> StatusView:
    """The status with one sentence saying why and what can be done."""
    status = status_of(order, ctx)
    phase = status.phase
    verb = order.category.action.value if order.category and order.category.action else ""
    if phase is Phase.NONE:
        text = _why_no_action(order)
    elif phase is Phase.DONE:
        text = (
            f"Resynced as {order.superseded_by}; this packing number is no longer valid."
            if order.superseded_by
            else "Restored with the same packing number; processing started again."
        )
    elif phase is Phase.IN_PROGRESS:
        text = f"A {verb} was approved and is queued or running."
    elif phase is Phase.UNAVAILABLE:
        text = _why_unavailable(order, ctx)
    elif phase is Phase.FAILED:
        text = f"The last {verb} failed" + (
            f": {_sentence_tail(last_failure)}" if last_failure else "; a new request is allowed."
        )
    elif order.recovery is Recovery.AWAITING:
        text = f"A {verb} request is waiting for approval."
    else:
        text = f"A {verb} can be requested."
    return StatusView(status, text)


def _why_no_action(order: Order) -> str:
    if order.recovery is Recovery.FAILED_RETRY:  # moved here by a resync (rule 5)
        return ("A resync found the sales order cancelled at the sales site, so the order moved "
                "to Sales Site Order Cancel; it cannot be resynced or restored.")
    return "The buyer cancelled this order at the sales site; it cannot be resynced or restored."


def _why_unavailable(order: Order, ctx: StatusContext) -> str:
    """A closed window, else a sales site that is not ready: the only two reasons (rule 5)."""
    if not window.is_open(order.when_cancelled, ctx.now, ctx.zone):
        return "The 14-day window is closed: " + window.window_view(
            order.when_cancelled, ctx.now, ctx.zone
        ).summary + "."
    return f"The {order.sales_site} service is not ready for resync yet."


def _sentence_tail(sentence: str) -> str:
    """A full sentence continued after a colon: first letter lower-cased, one final period."""
    return sentence[:1].lower() + sentence[1:].rstrip(".") + "."
