"""Requests and jobs as a state machine (rule 6: a job runs at most once per approved request)."""
from __future__ import annotations

import itertools

import pytest

from domain.errors import IllegalTransition
from domain.failures import Failure, FailureCode
from domain.model import Action, Recovery
from domain.requests import Decision, Job, JobState, Request, check_transition, recovery_for
from tests.unit.fakes import CANCELLED_AT

S = JobState
LEGAL = {
    (S.AWAITING_APPROVAL, S.QUEUED),  # approved
    (S.AWAITING_APPROVAL, S.REJECTED),  # rejected
    (S.QUEUED, S.RUNNING),  # a worker claimed it
    (S.QUEUED, S.FAILED),  # the window closed before a worker got to it
    (S.RUNNING, S.SUCCEEDED),
    (S.RUNNING, S.FAILED),
    (S.RUNNING, S.QUEUED),  # the lease ran out; handed back
    (S.RUNNING, S.WAITING),  # handed to the order service
    (S.WAITING, S.SUCCEEDED),  # the order service's answer, never back to the queue
    (S.WAITING, S.FAILED),
    (S.AWAITING_APPROVAL, S.WITHDRAWN),  # the order came back to active outside cancelbot
    (S.QUEUED, S.WITHDRAWN),  # the same, after approval and before a worker got to it
}
ALL_PAIRS = list(itertools.product(JobState, JobState))


def job(state: JobState = S.AWAITING_APPROVAL) -> Job:
    return Job(request_id=1, order_id=2, packing_no="QSP2611060001", action=Action.RESYNC,
               state=state, id=3)


@pytest.mark.parametrize("current, target", sorted(LEGAL))
def test_job_moves_along_every_edge_of_the_state_machine(current, target):
    moved = job(current).moved(target)
    assert moved.state is target
    assert (moved.id, moved.request_id, moved.order_id) == (3, 1, 2)


@pytest.mark.parametrize("current, target", [p for p in ALL_PAIRS if p not in LEGAL])
def test_job_refuses_every_other_move(current, target):
    with pytest.raises(IllegalTransition) as raised:
        job(current).moved(target)
    assert str(raised.value) == f"job cannot go from {current.value} to {target.value}"
    with pytest.raises(IllegalTransition):
        check_transition(current, target)


@pytest.mark.parametrize("state", list(JobState))
def test_finished_jobs_never_move_again_and_only_unfinished_ones_hold_the_order(state):
    finished = state in (S.SUCCEEDED, S.FAILED, S.REJECTED, S.WITHDRAWN)
    assert state.final is finished
    assert state.active is not finished
    if finished:
        for target in JobState:
            with pytest.raises(IllegalTransition):
                job(state).moved(target)


def test_succeeded_job_keeps_the_result_packing_number():
    done = job(S.RUNNING).succeed("RSY2611120001", CANCELLED_AT)
    assert (done.state, done.result_packing_no, done.finished_at) == (
        S.SUCCEEDED, "RSY2611120001", CANCELLED_AT)
    assert done.failure is None
    assert done.recovery is Recovery.DONE


@pytest.mark.parametrize("code", list(FailureCode))
def test_failed_job_keeps_its_reason_and_leaves_its_order_failed_whatever_the_reason(code):
    failed = job(S.RUNNING).fail(Failure(code, "detail"), CANCELLED_AT)
    assert failed.state is S.FAILED and failed.finished_at == CANCELLED_AT
    assert failed.failure == Failure(code, "detail")
    assert failed.recovery is Recovery.FAILED_RETRY


@pytest.mark.parametrize("state", [S.AWAITING_APPROVAL, S.QUEUED, S.SUCCEEDED, S.REJECTED])
def test_only_a_running_or_waiting_job_can_succeed(state):
    with pytest.raises(IllegalTransition):
        job(state).succeed("RSY2611120001", CANCELLED_AT)


@pytest.mark.parametrize(
    "state, recovery",
    [
        (S.AWAITING_APPROVAL, Recovery.AWAITING),
        (S.QUEUED, Recovery.IN_PROGRESS),
        (S.RUNNING, Recovery.IN_PROGRESS),
        (S.WAITING, Recovery.IN_PROGRESS),  # Resyncing / Recovering while the service works
        (S.SUCCEEDED, Recovery.DONE),
        (S.FAILED, Recovery.FAILED_RETRY),
    ],
)
def test_order_recovery_follows_its_latest_job(state, recovery):
    assert recovery_for(state) is recovery


@pytest.mark.parametrize("code", list(FailureCode))
def test_every_failure_leaves_the_order_failed_with_a_new_request_allowed(code):
    assert recovery_for(S.FAILED, code) is Recovery.FAILED_RETRY


def test_rejected_job_has_no_recovery_of_its_own():
    with pytest.raises(ValueError, match="prior recovery"):
        recovery_for(S.REJECTED)


def request() -> Request:
    return Request(Action.RESTORE, "U_REQ", CANCELLED_AT, note="seller asked", id=5)


@pytest.mark.parametrize("decision", [Decision.APPROVED, Decision.REJECTED])
def test_request_is_decided_once_with_who_and_when(decision):
    decided = request().decide(decision, "U_APPROVER", CANCELLED_AT, "wrong seller")
    assert (decided.decision, decided.decided_by, decided.decided_at, decided.reject_reason) == (
        decision, "U_APPROVER", CANCELLED_AT, "wrong seller")
    assert decided.id == 5 and decided.requested_by == "U_REQ"


@pytest.mark.parametrize(
    "first, second", list(itertools.product([Decision.APPROVED, Decision.REJECTED], repeat=2))
)
def test_deciding_a_request_twice_is_refused(first, second):
    decided = request().decide(first, "U_APPROVER", CANCELLED_AT)
    with pytest.raises(IllegalTransition):
        decided.decide(second, "U_OTHER", CANCELLED_AT)


def test_pending_is_not_a_decision():
    with pytest.raises(IllegalTransition):
        request().decide(Decision.PENDING, "U_APPROVER", CANCELLED_AT)
