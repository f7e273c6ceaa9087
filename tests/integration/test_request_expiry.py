"""Rule 14 on real databases: one reminder when the window closes within 24 h, expiry when it
closes, each once although two bot processes run it at the same moment."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.errors import AlreadyDecided
from domain.model import Action
from domain.reminders import EXPIRY, REMINDER, Notice, expire_due, remind_and_expire
from domain.requests import Decision, JobState
from domain.status import Status, status_of
from domain.window import deadline
from domain.workflow import ApprovalPolicy, approve, submit_request
from store.models import AuditRow, OutboxRow
from tests.integration.builders import CANCELLED_AT, NOW, SEOUL, add_orders, cancelled, ctx
from tests.races import together

CLOSES = deadline(CANCELLED_AT, SEOUL)  # 2026-12-07 10:00 KST
POLICY = ApprovalPolicy(is_approver=lambda user: user == "UAPPROVER")


def _request(uow, *packing_nos: str) -> int:
    add_orders(uow, *[cancelled(no) for no in packing_nos])
    return _submit(uow, *packing_nos)


def _submit(uow, *packing_nos: str) -> int:
    with uow() as u:
        return submit_request(u, list(packing_nos), Action.RESYNC, "UREQ", "", ctx()) \
            .request.stored_id


def _outbox(sessions, kind: str) -> list[OutboxRow]:
    with sessions() as session:
        return list(session.scalars(select(OutboxRow).where(OutboxRow.kind == kind)))


def _audit_kinds(sessions) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(AuditRow.kind).order_by(AuditRow.id)))


def test_a_request_two_days_from_its_deadline_gets_no_reminder_yet(uow, sessions):
    _request(uow, "QSP2611230001")
    with uow() as u:
        assert remind_and_expire(u, ctx(CLOSES - timedelta(hours=25))) == ([], [])
    assert _outbox(sessions, REMINDER) == []


def test_a_request_23_hours_from_its_deadline_is_reminded_once(uow, sessions):
    request_id = _request(uow, "QSP2611230001")
    for hours in (23, 22, 1):  # later polls of the same day remind no more
        with uow() as u:
            remind_and_expire(u, ctx(CLOSES - timedelta(hours=hours)))
    rows = _outbox(sessions, REMINDER)
    assert len(rows) == 1 and rows[0].request_id == request_id
    notice = Notice.from_payload(rows[0].payload)
    assert notice.packing_nos == ["QSP2611230001"] and notice.deadline == CLOSES
    with uow() as u:
        request = u.requests.get(request_id)
        assert request.decision is Decision.PENDING
        assert request.reminded_at == CLOSES - timedelta(hours=23)
    assert _audit_kinds(sessions) == ["requested", "reminded"]


def test_a_request_still_awaiting_when_the_window_closes_expires_and_its_job_never_runs(
        uow, sessions):
    request_id = _request(uow, "QSP2611230001")
    after = CLOSES + timedelta(minutes=1)
    with uow() as u:
        assert expire_due(u, ctx(CLOSES - timedelta(minutes=1))) == []  # still open
        assert expire_due(u, ctx(after)) == [request_id]
        assert expire_due(u, ctx(after + timedelta(minutes=1))) == []  # once
    with uow() as u:
        request = u.requests.get(request_id)
        job, = u.jobs.for_request(request_id)
        order = u.orders.get("QSP2611230001")
        assert (request.decision, request.decided_by) == (Decision.EXPIRED, "cancelbot")
        assert job.state is JobState.EXPIRED
        assert u.jobs.claim("w1", after, after + timedelta(minutes=1), 10) == []
        assert status_of(order, ctx(after)) is Status.RESYNC_UNAVAILABLE
        # an approver clicking now is told it expired; nothing is queued
        with pytest.raises(AlreadyDecided) as refused:
            approve(u, request_id, "UAPPROVER", after, POLICY)
        assert refused.value.decision == "expired"
    assert [r.request_id for r in _outbox(sessions, EXPIRY)] == [request_id]
    assert _audit_kinds(sessions) == ["requested", "expired"]


def test_a_decided_request_is_neither_reminded_nor_expired(uow, sessions):
    request_id = _request(uow, "QSP2611230001")
    with uow() as u:
        approve(u, request_id, "UAPPROVER", NOW, POLICY)
    with uow() as u:
        assert remind_and_expire(u, ctx(CLOSES - timedelta(hours=1))) == ([], [])
        assert remind_and_expire(u, ctx(CLOSES + timedelta(hours=1))) == ([], [])
    assert _outbox(sessions, REMINDER) == _outbox(sessions, EXPIRY) == []


def test_a_bulk_request_is_reminded_and_expired_by_its_first_deadline(uow, sessions):
    add_orders(uow, cancelled("QSP2611230001"),
               cancelled("QSP2611230009", cancelled_at=CANCELLED_AT + timedelta(days=2)))
    request_id = _submit(uow, "QSP2611230001", "QSP2611230009")
    with uow() as u:
        assert remind_and_expire(u, ctx(CLOSES - timedelta(hours=2))) == ([], [request_id])
        assert remind_and_expire(u, ctx(CLOSES)) == ([request_id], [])
    notice = Notice.from_payload(_outbox(sessions, EXPIRY)[0].payload)
    assert notice.deadline == CLOSES
    assert notice.packing_nos == ["QSP2611230001", "QSP2611230009"]
    with uow() as u:
        assert {j.state for j in u.jobs.for_request(request_id)} == {JobState.EXPIRED}


def test_two_processes_racing_remind_once_and_expire_once(databases):
    first, second = databases
    request_id = _request(first.uow, "QSP2611230001")

    def poll(database, now):
        def run():
            with database.uow() as u:
                return remind_and_expire(u, ctx(now))
        return run

    for now in (CLOSES - timedelta(hours=3), CLOSES + timedelta(minutes=5)):
        results = together(poll(first, now), poll(second, now))
        assert not [r for r in results if isinstance(r, Exception)], results
    assert [r.request_id for r in _outbox(first.sessions, REMINDER)] == [request_id]
    assert [r.request_id for r in _outbox(first.sessions, EXPIRY)] == [request_id]
    assert _audit_kinds(first.sessions) == ["requested", "reminded", "expired"]
