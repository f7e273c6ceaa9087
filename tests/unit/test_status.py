"""Recovery statuses: derived from recovery, window and site readiness, with labels as the menu."""
from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest

from domain.failures import Failure, FailureCode
from domain.model import CancelledBy, Category, Origin, Recovery, Stage
from domain.status import Phase, Status, explain, phase_of, status_of
from tests.unit.fakes import CANCELLED_AT, active, cancelled, ctx

OPEN_NOW = CANCELLED_AT + timedelta(days=6)
CLOSED_NOW = CANCELLED_AT + timedelta(days=16, minutes=57)  # 2026-11-22 15:00 KST

# docs/rules.md's status table ("Recovery status"), row by row
LABELS = [
    (Status.RESYNC_AVAILABLE, "Resync Available", Category.API, Phase.AVAILABLE),
    (Status.RESYNCING, "Resyncing", Category.API, Phase.IN_PROGRESS),
    (Status.RESYNCED, "Resynced", Category.API, Phase.DONE),
    (Status.FAILED_TO_RESYNC, "Failed to Resync", Category.API, Phase.FAILED),
    (Status.RESYNC_UNAVAILABLE, "Resync Unavailable", Category.API, Phase.UNAVAILABLE),
    (Status.RECOVERABLE, "Recoverable", Category.EXCEL, Phase.AVAILABLE),
    (Status.RECOVERING, "Recovering", Category.EXCEL, Phase.IN_PROGRESS),
    (Status.RECOVERED, "Recovered", Category.EXCEL, Phase.DONE),
    (Status.FAILED_TO_RECOVER, "Failed to Recover", Category.EXCEL, Phase.FAILED),
    (Status.UNRECOVERABLE, "Unrecoverable", Category.EXCEL, Phase.UNAVAILABLE),
    (Status.NO_ACTION, "No Action", Category.SITE, Phase.NONE),
]


@pytest.mark.parametrize("status, label, category, phase", LABELS)
def test_status_label_is_the_menus_word(status, label, category, phase):
    assert status.label == label
    assert status.category is category
    assert status.phase is phase
    assert Status.of(category, phase) is status


def test_every_status_has_a_row_in_the_design_table():
    assert {row[0] for row in LABELS} == set(Status)


@pytest.mark.parametrize(
    "status, allows",
    [(Status.RESYNC_AVAILABLE, True), (Status.FAILED_TO_RESYNC, True), (Status.RECOVERABLE, True),
     (Status.FAILED_TO_RECOVER, True), (Status.RESYNCING, False), (Status.RESYNCED, False),
     (Status.RESYNC_UNAVAILABLE, False), (Status.RECOVERING, False), (Status.RECOVERED, False),
     (Status.UNRECOVERABLE, False), (Status.NO_ACTION, False)],
)
def test_only_available_and_failed_statuses_allow_a_request(status, allows):
    assert status.allows_request is allows


PRECEDENCE = [Phase.DONE, Phase.IN_PROGRESS, Phase.UNAVAILABLE, Phase.FAILED, Phase.AVAILABLE]


def expected_phase(category, recovery, window_open, site_ready):
    """docs/rules.md, "Recovery status": every phase whose condition holds, then the first by
    precedence."""
    if category is Category.SITE:
        return Phase.NONE
    holds = {Phase.AVAILABLE}
    if recovery is Recovery.DONE:
        holds.add(Phase.DONE)
    if recovery is Recovery.IN_PROGRESS:
        holds.add(Phase.IN_PROGRESS)
    # rule 5: only the window and the site's readiness make an order unavailable
    if not window_open or (category is Category.API and not site_ready):
        holds.add(Phase.UNAVAILABLE)
    if recovery is Recovery.FAILED_RETRY:  # whatever the failure was
        holds.add(Phase.FAILED)
    return min(holds, key=PRECEDENCE.index)


ORDER_FOR: dict[Category, dict[str, Any]] = {
    Category.API: dict(origin=Origin.API),
    Category.EXCEL: dict(origin=Origin.EXCEL),
    Category.SITE: dict(origin=Origin.API, cancelled_by=CancelledBy.SALES_SITE),
}


@pytest.mark.parametrize(
    "category, recovery, window_open, site_ready",
    list(itertools.product(Category, Recovery, [True, False], [True, False])),
)
def test_status_follows_precedence_done_progress_unavailable_failed_available(
    category, recovery, window_open, site_ready
):
    expected = Status.of(category, expected_phase(category, recovery, window_open, site_ready))
    assert Status.of(category, phase_of(category, recovery, window_open, site_ready)) is expected
    order = cancelled("QSP2611060001", recovery=recovery, **ORDER_FOR[category])
    context = ctx(OPEN_NOW if window_open else CLOSED_NOW, () if site_ready else ("tmon",))
    assert status_of(order, context) is expected


@pytest.mark.parametrize(
    "category, recovery, window_open, site_ready, expected",
    [
        (Category.API, Recovery.NONE, True, True, Status.RESYNC_AVAILABLE),
        (Category.API, Recovery.AWAITING, True, True, Status.RESYNC_AVAILABLE),
        (Category.API, Recovery.DONE, False, False, Status.RESYNCED),
        (Category.API, Recovery.IN_PROGRESS, False, False, Status.RESYNCING),
        (Category.API, Recovery.FAILED_RETRY, False, True, Status.RESYNC_UNAVAILABLE),
        (Category.API, Recovery.FAILED_RETRY, True, False, Status.RESYNC_UNAVAILABLE),
        (Category.API, Recovery.FAILED_RETRY, True, True, Status.FAILED_TO_RESYNC),
        (Category.API, Recovery.NONE, True, False, Status.RESYNC_UNAVAILABLE),
        (Category.EXCEL, Recovery.NONE, True, False, Status.RECOVERABLE),
        (Category.EXCEL, Recovery.FAILED_RETRY, True, False, Status.FAILED_TO_RECOVER),
        (Category.EXCEL, Recovery.FAILED_RETRY, False, True, Status.UNRECOVERABLE),
        (Category.EXCEL, Recovery.DONE, False, True, Status.RECOVERED),
        (Category.EXCEL, Recovery.IN_PROGRESS, False, True, Status.RECOVERING),
        (Category.SITE, Recovery.NONE, True, True, Status.NO_ACTION),
        (Category.SITE, Recovery.NONE, False, False, Status.NO_ACTION),
    ],
)
def test_status_examples(category, recovery, window_open, site_ready, expected):
    assert Status.of(category, phase_of(category, recovery, window_open, site_ready)) is expected


def test_not_ready_sites_are_matched_without_regard_to_case():
    order = cancelled("QSP2611060001", sales_site="TMON")
    assert status_of(order, ctx(OPEN_NOW, ("tmon",))) is Status.RESYNC_UNAVAILABLE


def test_status_of_an_order_that_was_never_cancelled_is_refused():
    with pytest.raises(ValueError, match="not a cancelled delivery"):
        status_of(active("QSP2611060009", Stage.PICKUP), ctx(OPEN_NOW))


@pytest.mark.parametrize(
    "text, status",
    [
        ("Resync Available", Status.RESYNC_AVAILABLE),
        ("resync_available", Status.RESYNC_AVAILABLE),
        ("  RESYNC   available ", Status.RESYNC_AVAILABLE),
        ("failed-to-resync", Status.FAILED_TO_RESYNC),
        ("Failed to Recover", Status.FAILED_TO_RECOVER),
        ("unrecoverable", Status.UNRECOVERABLE),
        ("RESYNCED", Status.RESYNCED),
        ("Resync Unavailable", Status.RESYNC_UNAVAILABLE),
        ("no action", Status.NO_ACTION),
    ],
)
def test_status_is_read_forgiving_case_spaces_and_dashes(text, status):
    assert Status.parse(text) is status


@pytest.mark.parametrize("text", ["", "   ", "resync", "done", "available", "failed"])
def test_unknown_status_text_is_refused(text):
    with pytest.raises(ValueError):
        Status.parse(text)


@pytest.mark.parametrize(
    "changes, now, not_ready, last_failure, status, words",
    [
        (dict(recovery=Recovery.DONE, superseded_by="RSY2611080001"), OPEN_NOW, (), None,
         Status.RESYNCED, ["Resynced as RSY2611080001", "no longer valid"]),
        (dict(origin=Origin.EXCEL, recovery=Recovery.DONE), OPEN_NOW, (), None,
         Status.RECOVERED, ["same packing number"]),
        (dict(), CLOSED_NOW, (), None, Status.RESYNC_UNAVAILABLE,
         ["14-day window is closed", "cancelled 16 days ago",
          "requests closed on 2026-11-20 14:03 KST"]),
        (dict(origin=Origin.EXCEL, recovery=Recovery.FAILED_RETRY), CLOSED_NOW, (), None,
         Status.UNRECOVERABLE, ["14-day window is closed", "2026-11-20 14:03 KST"]),
        (dict(), OPEN_NOW, ("tmon",), None, Status.RESYNC_UNAVAILABLE,
         ["tmon service is not ready"]),
        (dict(recovery=Recovery.FAILED_RETRY), OPEN_NOW, (),
         Failure(FailureCode.ON_CLAIM).describe(), Status.FAILED_TO_RESYNC,
         ["last resync failed", "the sales order is on claim",
          "Check the claim on the sales site first", "a new request is allowed."]),
        (dict(recovery=Recovery.FAILED_RETRY), OPEN_NOW, (),
         Failure(FailureCode.SERVER_ERROR).describe(),
         Status.FAILED_TO_RESYNC, ["last resync failed", "server error",
                                   "Check the order status on the sales site",
                                   "a new request is allowed"]),
        (dict(origin=Origin.EXCEL, recovery=Recovery.FAILED_RETRY), OPEN_NOW, (),
         Failure(FailureCode.DUPLICATE_ALIVE, "duplicates: ACC000009").describe(),
         Status.FAILED_TO_RECOVER, ["last restore failed", "duplicates: ACC000009",
                                    "Check the duplicates first", "a new request is allowed"]),
        (dict(origin=Origin.EXCEL, recovery=Recovery.IN_PROGRESS), OPEN_NOW, (), None,
         Status.RECOVERING, ["restore was approved"]),
        (dict(recovery=Recovery.AWAITING), OPEN_NOW, (), None, Status.RESYNC_AVAILABLE,
         ["resync request is waiting for approval"]),
        (dict(), OPEN_NOW, (), None, Status.RESYNC_AVAILABLE, ["resync can be requested"]),
        (dict(cancelled_by=CancelledBy.SALES_SITE), OPEN_NOW, (), None, Status.NO_ACTION,
         ["buyer cancelled", "cannot be resynced or restored"]),
        (dict(cancelled_by=CancelledBy.SALES_SITE, recovery=Recovery.FAILED_RETRY), OPEN_NOW, (),
         Failure(FailureCode.CANCELLED_AT_SALES_SITE).describe(), Status.NO_ACTION,
         ["resync found the sales order cancelled at the sales site",
          "moved to Sales Site Order Cancel", "cannot be resynced or restored"]),
    ],
    ids=["resynced", "recovered", "closed", "closed-failed", "site-not-ready", "failed-on-claim",
         "failed-server-error", "failed-duplicate", "recovering", "awaiting", "available",
         "site-cancel", "moved-to-site-cancel"],
)
def test_status_explanation_says_why(changes, now, not_ready, last_failure, status, words):
    view = explain(cancelled("QSP2611060001", **changes), ctx(now, not_ready), last_failure)
    assert view.status is status
    for word in words:
        assert word in view.explanation
    assert view.explanation.count("a new request") <= 1
    assert ".." not in view.explanation and ".;" not in view.explanation
