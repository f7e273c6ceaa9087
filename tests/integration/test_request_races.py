"""Two people clicking at the same moment, each through an engine of their own (rule 6)."""
from __future__ import annotations

import functools
from collections.abc import Callable

from sqlalchemy import func, select

from domain.errors import AlreadyDecided, RequestNotAllowed
from domain.model import Action, Recovery
from domain.requests import JobState
from domain.workflow import ApprovalPolicy, Submitted, approve, reject, submit_request
from store.models import AuditRow, RequestRow
from tests.integration.builders import (
    NOW,
    Database,
    active_job_count,
    add_orders,
    cancelled,
    ctx,
)
from tests.races import together

ROUNDS = 5
POLICY = ApprovalPolicy(is_approver=lambda user: user.startswith("UAPPROVER"))


def race(databases: list[Database], act: Callable[[Database, int], object]) -> list[object]:
    """act(database, i) for each database at the same moment: what each returned or raised."""
    return together(*[functools.partial(act, database, i)
                      for i, database in enumerate(databases)])


def _split(results: list[object], winner_type: type) -> tuple[list, list]:
    wins = [r for r in results if isinstance(r, winner_type)]
    losses = [r for r in results if not isinstance(r, winner_type)]
    return wins, losses


def test_two_requests_racing_for_one_order_leave_exactly_one_active(databases):
    db = databases[0]
    for n in range(ROUNDS):
        packing_no = f"QSP261123{n:04d}"
        order, = add_orders(db.uow, cancelled(packing_no))

        def submit(database: Database, i: int, packing_no: str = packing_no) -> Submitted:
            with database.uow() as u:
                return submit_request(u, [packing_no], Action.RESYNC, f"UREQ{i}", "", ctx())

        wins, losses = _split(race(databases, submit), Submitted)

        assert len(wins) == 1, losses
        assert len(losses) == 1 and isinstance(losses[0], RequestNotAllowed), losses
        assert packing_no in losses[0].message
        with db.sessions() as session:
            assert active_job_count(session, order.stored_id) == 1
            assert session.scalar(select(func.count()).select_from(RequestRow)) == n + 1
            assert session.scalar(select(func.count()).select_from(AuditRow)
                                  .where(AuditRow.packing_no == packing_no)) == 1
        with db.uow() as u:
            assert u.orders.get(packing_no).recovery is Recovery.AWAITING
            [job] = u.jobs.for_order(order.id)
        assert job.request_id == wins[0].request.id


def _pending_request(db: Database, n: int) -> tuple[int, list[str]]:
    packing_nos = [f"QSP261124{n:02d}{k:02d}" for k in range(2)]
    add_orders(db.uow, *[cancelled(p) for p in packing_nos])
    with db.uow() as u:
        submitted = submit_request(u, packing_nos, Action.RESYNC, "UREQUESTER", "", ctx())
    return submitted.request.stored_id, packing_nos


def test_two_approvers_approving_at_once_give_one_approval_and_name_the_first(databases):
    db = databases[0]
    for n in range(ROUNDS):
        request_id, packing_nos = _pending_request(db, n)

        def approve_it(database: Database, i: int, request_id: int = request_id) -> Submitted:
            with database.uow() as u:
                return approve(u, request_id, f"UAPPROVER{i}", NOW, POLICY)

        wins, losses = _split(race(databases, approve_it), Submitted)

        assert len(wins) == 1, losses
        winner = wins[0].request.decided_by
        assert len(losses) == 1 and isinstance(losses[0], AlreadyDecided), losses
        assert (losses[0].decision, losses[0].by) == ("approved", winner)
        assert f"already approved by {winner}" in losses[0].message
        with db.uow() as u:
            assert u.requests.get(request_id).decided_by == winner
            assert [j.state for j in u.jobs.for_request(request_id)] == [JobState.QUEUED] * 2
            events = u.audit.for_packing_nos(packing_nos)
        assert sorted((e.kind, e.actor) for e in events if e.kind == "approved") == [
            ("approved", winner)] * 2


def test_an_approval_and_a_rejection_at_once_leave_one_decision(databases):
    db = databases[0]
    for n in range(ROUNDS):
        request_id, packing_nos = _pending_request(db, n)

        def decide(database: Database, i: int, request_id: int = request_id) -> Submitted:
            with database.uow() as u:
                if i == 0:
                    return approve(u, request_id, "UAPPROVER0", NOW, POLICY)
                return reject(u, request_id, "UAPPROVER1", "no", NOW, POLICY)

        wins, losses = _split(race(databases, decide), Submitted)

        assert len(wins) == 1 and len(losses) == 1, losses
        decided = wins[0].request
        assert isinstance(losses[0], AlreadyDecided)
        assert (losses[0].decision, losses[0].by) == (decided.decision.value, decided.decided_by)
        approved = decided.decided_by == "UAPPROVER0"
        expected_state = JobState.QUEUED if approved else JobState.REJECTED
        expected_recovery = Recovery.IN_PROGRESS if approved else Recovery.NONE
        with db.uow() as u:
            assert [j.state for j in u.jobs.for_request(request_id)] == [expected_state] * 2
            assert [u.orders.get(p).recovery for p in packing_nos] == [expected_recovery] * 2
