"""Copies of orders from Smartship applied to the book (rules 11 and 12), on SQLite and
PostgreSQL through the real unit of work."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from domain.model import Action, OrderState, Recovery, Stage
from domain.order_sync import apply_orders
from domain.requests import SYSTEM_ACTOR, Decision, JobState
from domain.withdrawal import WITHDRAWAL
from domain.workflow import approve, submit_request
from store.models import AuditRow, OutboxRow
from tests.integration.builders import NOW, active, add_orders, cancelled, ctx
from tests.slack.scenarios import POLICY

T1 = NOW - timedelta(days=1)
T2 = NOW - timedelta(hours=1)


def apply(uow, *copies, at=NOW):
    with uow() as u:
        tally = apply_orders(u, list(copies), at)
        u.commit()
    return tally


def test_new_newer_and_older_copies_are_inserted_updated_and_skipped(uow):
    stored, = add_orders(uow, cancelled("QSP2611230001", updated_at=T1))
    tally = apply(uow, cancelled("QSP2611230009", updated_at=T1),
                  replace(stored, items="2x mug", recovery=Recovery.DONE, updated_at=T2),
                  cancelled("QSP2611230001", items="stale", updated_at=T1))
    assert (tally.new, tally.updated, tally.unchanged) == (1, 1, 1)
    with uow() as u:
        found = u.orders.get_many(["QSP2611230001", "QSP2611230009", "QSP0000"])
    assert sorted(found) == ["QSP2611230001", "QSP2611230009"]
    after = found["QSP2611230001"]
    assert (after.items, after.updated_at, after.recovery) == ("2x mug", T2, Recovery.NONE)
    assert found["QSP2611230009"].updated_at == T1 and found["QSP2611230009"].id is not None


def test_the_same_copies_twice_change_nothing(uow):
    copies = [cancelled("QSP2611230002", updated_at=T1), active("QSP2611230003", updated_at=T1)]
    apply(uow, *copies)
    assert apply(uow, *copies).summary == "0 new, 0 updated, 2 unchanged"


def test_reactivation_withdraws_the_approved_job_with_an_audit_event_and_a_thread_message(
        uow, sessions):
    order, = add_orders(uow, cancelled("QSP2611230004"))
    with uow() as u:
        submitted = submit_request(u, [order.packing_no], Action.RESYNC, "UREQ", "", ctx())
    with uow() as u:
        approve(u, submitted.request.stored_id, "UAPPROVER1", NOW, POLICY)
    back = replace(order, state=OrderState.ACTIVE, stage=Stage.CONFIRMATION, cancelled_at=None,
                   cancelled_by=None, updated_at=NOW)
    tally = apply(uow, back)
    assert [job.packing_no for job in tally.withdrawn] == [order.packing_no]
    with uow() as u:
        job = u.jobs.for_order(order.stored_id)[0]
        assert job.state is JobState.WITHDRAWN and job.finished_at == NOW
        assert u.jobs.claim("worker", NOW, NOW + timedelta(minutes=5), 10) == []
        assert u.orders.get(order.packing_no).state is OrderState.ACTIVE
        assert u.requests.get(submitted.request.stored_id).decision is Decision.APPROVED
    with sessions() as session:
        event = session.scalars(select(AuditRow).order_by(AuditRow.id.desc())).first()
        row = session.scalars(select(OutboxRow)).one()
    assert (event.kind, event.actor, event.job_id) == ("withdrawn", SYSTEM_ACTOR, job.id)
    assert (row.kind, row.request_id, row.payload["was_approved"]) == (
        WITHDRAWAL, submitted.request.stored_id, True)


def test_reactivation_of_an_order_awaiting_approval_settles_its_request(uow):
    order, = add_orders(uow, cancelled("QSP2611230005"))
    with uow() as u:
        submitted = submit_request(u, [order.packing_no], Action.RESYNC, "UREQ", "", ctx())
    apply(uow, replace(order, state=OrderState.ACTIVE, stage=Stage.WAYBILL, cancelled_at=None,
                       cancelled_by=None, updated_at=NOW))
    with uow() as u:
        request = u.requests.get(submitted.request.stored_id)
        assert (request.decision, request.decided_by) == (Decision.REJECTED, SYSTEM_ACTOR)
        assert request.reject_reason.startswith("withdrawn: Smartship reports QSP2611230005")
        assert u.orders.get(order.packing_no).recovery is Recovery.NONE
