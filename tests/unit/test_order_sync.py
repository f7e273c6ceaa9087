"""Keeping the book current (rules 11 and 12) on the in-memory unit of work."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.errors import AlreadyDecided
from domain.lookup import look_up
from domain.model import Action, OrderState, Recovery, Stage
from domain.order_sync import Change, apply_orders, sync_order
from domain.requests import SYSTEM_ACTOR, Decision, JobState
from domain.status import Status
from domain.withdrawal import WITHDRAWAL, Withdrawal
from domain.workflow import submit_request
from tests.unit.fakes import (
    ACTIVE_NO,
    API_NO,
    CANCELLED_AT,
    EXCEL_NO,
    T_DECIDE,
    T_SUBMIT,
    active,
    approve_as,
    cancelled,
    ctx,
    run,
    seeded_uow,
    site,
    submit,
)

T1 = CANCELLED_AT + timedelta(hours=1)
T2 = T1 + timedelta(hours=1)
T_SYNC = T_DECIDE + timedelta(minutes=30)


@pytest.fixture
def uow():
    return seeded_uow()


def apply(uow, *copies, at=T_SYNC):
    with uow:
        tally = apply_orders(uow, list(copies), at)
        uow.commit()
    return tally


def test_a_new_packing_number_is_inserted_as_smartship_sent_it(uow):
    copy = cancelled("QSP2611060099", updated_at=T1)
    tally = apply(uow, copy)
    assert (tally.new, tally.updated, tally.unchanged) == (1, 0, 0)
    assert replace(uow.orders.get("QSP2611060099"), id=None) == copy


def test_a_newer_copy_updates_smartships_fields_and_never_cancelbots(uow):
    stored = uow.orders.get(API_NO)
    uow.orders.update(replace(stored, recovery=Recovery.DONE, superseded_by="QSP2611070001",
                              resynced_from="QSP2611010001", updated_at=T1))
    uow.commit()
    copy = replace(stored, recipient="Lee Jiwoo", items="2x mug", recovery=Recovery.NONE,
                   superseded_by=None, resynced_from=None, updated_at=T2)
    tally = apply(uow, copy)
    after = uow.orders.get(API_NO)
    assert (tally.new, tally.updated, tally.unchanged) == (0, 1, 0)
    assert (after.recipient, after.items, after.updated_at) == ("Lee Jiwoo", "2x mug", T2)
    assert (after.recovery, after.superseded_by, after.resynced_from) == (
        Recovery.DONE, "QSP2611070001", "QSP2611010001")


@pytest.mark.parametrize("when", [T1, T1 - timedelta(seconds=1)])
def test_an_equal_or_older_copy_changes_nothing(uow, when):
    stored = replace(uow.orders.get(API_NO), updated_at=T1)
    uow.orders.update(stored)
    uow.commit()
    tally = apply(uow, replace(stored, recipient="Someone else", updated_at=when))
    assert (tally.new, tally.updated, tally.unchanged) == (0, 0, 1)
    assert uow.orders.get(API_NO) == stored


def test_the_same_copies_applied_twice_change_nothing_the_second_time(uow):
    copies = [cancelled("QSP2611060099", updated_at=T1),
              replace(uow.orders.get(API_NO), items="3x mug", updated_at=T1)]
    apply(uow, *copies)
    before = dict(uow.committed.orders)
    tally = apply(uow, *copies)
    assert tally.summary == "0 new, 0 updated, 2 unchanged"
    assert uow.committed.orders == before


def test_a_dated_copy_is_newer_than_an_order_imported_without_a_date(uow):
    assert uow.orders.get(API_NO).updated_at is None
    assert apply(uow, replace(uow.orders.get(API_NO), items="x", updated_at=T1)).updated == 1


def test_a_copy_without_a_date_never_updates_a_stored_order(uow):
    assert sync_order(uow.orders.get(API_NO), uow.orders.get(API_NO)).change is Change.UNCHANGED


def test_an_active_order_updated_to_cancelled_enters_its_tab_with_its_window(uow):
    stored = uow.orders.get(ACTIVE_NO)
    uow.orders.update(replace(stored, recovery=Recovery.DONE))  # restored once, long ago
    uow.commit()
    cancelled_at = T_SUBMIT
    copy = cancelled(ACTIVE_NO, cancelled_at=cancelled_at, updated_at=cancelled_at)
    assert apply(uow, copy, at=cancelled_at).updated == 1
    card = look_up(uow, ACTIVE_NO, ctx(cancelled_at + timedelta(days=13, hours=23))).status
    assert card.status is Status.RESYNC_AVAILABLE
    assert uow.orders.get(ACTIVE_NO).state is OrderState.CANCELLED
    closed = look_up(uow, ACTIVE_NO, ctx(cancelled_at + timedelta(days=14, minutes=5))).status
    assert closed.status is Status.RESYNC_UNAVAILABLE


def brought_back(uow, packing_no=API_NO):
    """Smartship's copy of packing_no, active again at order confirmation."""
    stored = uow.orders.get(packing_no)
    return active(packing_no, Stage.CONFIRMATION, origin=stored.origin,
                  sales_site=stored.sales_site, payment_at=stored.payment_at,
                  recipient=stored.recipient, items=stored.items, updated_at=T_SYNC)


def test_reactivation_withdraws_a_request_awaiting_approval(uow):
    request = submit(uow, API_NO).request
    tally = apply(uow, brought_back(uow))
    job = uow.jobs.for_request(request.stored_id)[0]
    assert job.state is JobState.WITHDRAWN and [j.id for j in tally.withdrawn] == [job.id]
    assert uow.requests.get(request.stored_id).decision is Decision.REJECTED
    assert uow.requests.get(request.stored_id).decided_by == SYSTEM_ACTOR
    with pytest.raises(AlreadyDecided):
        approve_as(uow, request.stored_id)
    after = uow.orders.get(API_NO)
    assert (after.state, after.stage, after.recovery) == (
        OrderState.ACTIVE, Stage.CONFIRMATION, Recovery.NONE)


def test_reactivation_withdraws_an_approved_job_before_it_runs_and_it_never_runs(uow):
    request = submit(uow, API_NO).request
    approve_as(uow, request.stored_id)
    apply(uow, brought_back(uow))
    job = uow.jobs.for_request(request.stored_id)[0]
    assert job.state is JobState.WITHDRAWN
    sales_site = site()
    with uow:
        assert uow.jobs.claim("worker", T_SYNC, T_SYNC + timedelta(minutes=5), 10) == []
    assert sales_site.fetched == []
    assert uow.requests.get(request.stored_id).decision is Decision.APPROVED


def test_a_withdrawal_is_in_the_audit_trail_and_in_the_outbox_for_the_thread(uow):
    request = submit(uow, API_NO).request
    approve_as(uow, request.stored_id)
    apply(uow, brought_back(uow))
    event = uow.committed.audit[-1]
    assert (event.kind, event.actor, event.packing_no) == ("withdrawn", SYSTEM_ACTOR, API_NO)
    assert "active again" in event.detail
    message = uow.committed.outbox[-1]
    assert (message.kind, message.request_id) == (WITHDRAWAL, request.stored_id)
    withdrawal = Withdrawal.from_payload(message.payload)
    assert (withdrawal.packing_no, withdrawal.action, withdrawal.was_approved) == (
        API_NO, Action.RESYNC, True)
    assert withdrawal.sentence.startswith(f"Withdrawn: the approved resync of {API_NO} will "
                                          "not run: Smartship reports")


def test_a_withdrawal_payload_reads_back_as_it_was_written():
    withdrawal = Withdrawal(7, Action.RESTORE, EXCEL_NO, False, "because")
    assert Withdrawal.from_payload(withdrawal.to_payload()) == withdrawal


def test_a_running_job_is_not_withdrawn(uow):
    request = submit(uow, API_NO).request
    approve_as(uow, request.stored_id)
    with uow:
        claimed = uow.jobs.claim("worker", T_SYNC, T_SYNC + timedelta(minutes=5), 10)
        uow.commit()
    tally = apply(uow, brought_back(uow))
    assert tally.withdrawn == [] and uow.jobs.get(claimed[0].id).state is JobState.RUNNING


def test_in_a_bulk_request_only_the_reactivated_orders_job_is_withdrawn(uow):
    other = "QSP2611060050"
    with uow:
        uow.orders.add(cancelled(other))
        uow.commit()
    with uow:
        request = submit_request(uow, [API_NO, other], Action.RESYNC, "U_REQ", "", ctx(T_SUBMIT))
    apply(uow, brought_back(uow))
    assert uow.requests.get(request.request.stored_id).decision is Decision.PENDING
    approved = approve_as(uow, request.request.stored_id)
    assert [j.packing_no for j in approved.jobs] == [other]
    states = {j.packing_no: j.state for j in uow.jobs.for_request(request.request.stored_id)}
    assert states == {API_NO: JobState.WITHDRAWN, other: JobState.QUEUED}
    assert run(uow, approved.jobs[0].stored_id, site()).state is JobState.FAILED  # no sales order


def test_a_packing_number_twice_in_a_batch_is_applied_in_turn(uow):
    first = cancelled("QSP2611060099", updated_at=T1)
    tally = apply(uow, first, replace(first, items="later", updated_at=T2),
                  replace(first, items="older", updated_at=T1))
    assert (tally.new, tally.updated, tally.unchanged) == (1, 1, 1)
    assert uow.orders.get("QSP2611060099").items == "later"
