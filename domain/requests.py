"""Requests and their jobs as a state machine; illegal moves raise IllegalTransition."""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from domain.errors import IllegalTransition
from domain.failures import Failure, FailureCode
from domain.model import Action, Recovery, Stored

SYSTEM_ACTOR = "cancelbot"  # the bot itself, as the audit trail names it


class Decision(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class JobState(str, enum.Enum):
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"  # approved, waiting for a worker
    RUNNING = "running"
    # handed to Smartship's order service (CANCELBOT_RECOVERY_API_URL), polled until final
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    # the order came back to active outside cancelbot before the job ran (rule 12)
    WITHDRAWN = "withdrawn"

    @property
    def active(self) -> bool:
        """An active job holds its order: no second request may be made meanwhile (rule 6)."""
        return self in ACTIVE_JOB_STATES

    @property
    def final(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.REJECTED,
                        JobState.WITHDRAWN)


ACTIVE_JOB_STATES = (
    JobState.AWAITING_APPROVAL, JobState.QUEUED, JobState.RUNNING, JobState.WAITING,
)

_EDGES = {
    JobState.AWAITING_APPROVAL: {JobState.QUEUED, JobState.REJECTED, JobState.WITHDRAWN},
    # queued -> failed: the window closed before a worker got to it
    JobState.QUEUED: {JobState.RUNNING, JobState.FAILED, JobState.WITHDRAWN},
    # running -> queued: a lease ran out and the job is handed back; running -> waiting:
    # handed to the order service, which carries the recovery out
    JobState.RUNNING: {JobState.SUCCEEDED, JobState.FAILED, JobState.QUEUED, JobState.WAITING},
    # never back to the queue: the service holds the recovery, and only its answer ends it
    JobState.WAITING: {JobState.SUCCEEDED, JobState.FAILED},
    JobState.SUCCEEDED: set(),
    JobState.FAILED: set(),
    JobState.REJECTED: set(),
    JobState.WITHDRAWN: set(),
}


def check_transition(current: JobState, target: JobState) -> None:
    """Raise IllegalTransition unless the state machine has the edge current -> target."""
    if target not in _EDGES[current]:
        raise IllegalTransition("job", current.value, target.value)


@dataclass(frozen=True)
class Request(Stored):
    """Somebody asked for a resync or restore of one or more orders; somebody else decides."""

    action: Action
    requested_by: str
    requested_at: datetime
    note: str = ""
    decision: Decision = Decision.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    reject_reason: str = ""
    channel_id: str | None = None
    message_ts: str | None = None
    id: int | None = None

    def decide(self, decision: Decision, by: str, at: datetime, reason: str = "") -> Request:
        """The request with its decision; deciding twice raises IllegalTransition."""
        if self.decision is not Decision.PENDING or decision is Decision.PENDING:
            raise IllegalTransition("request", self.decision.value, decision.value)
        return replace(self, decision=decision, decided_by=by, decided_at=at, reject_reason=reason)


@dataclass(frozen=True)
class Job(Stored):
    """The work a request asks for on one order."""

    request_id: int
    order_id: int
    packing_no: str
    action: Action
    state: JobState = JobState.AWAITING_APPROVAL
    failure_code: FailureCode | None = None
    failure_detail: str = ""
    result_packing_no: str | None = None
    attempts: int = 0
    # the order's recovery before this request, given back to it if the request is rejected
    prior_recovery: Recovery = Recovery.NONE
    created_at: datetime | None = None
    finished_at: datetime | None = None
    # with the order service: its id for the recovery (None until a POST was answered), when
    # the job was handed over, when to look next, and the errors in a row since the last answer
    recovery_id: str | None = None
    waiting_since: datetime | None = None
    next_poll_at: datetime | None = None
    service_errors: int = 0
    last_error: str = ""
    id: int | None = None

    def moved(self, target: JobState, **changes: Any) -> Job:
        """The job in state target, checked against the state machine."""
        check_transition(self.state, target)
        return replace(self, state=target, **changes)

    def succeed(self, result_packing_no: str, at: datetime) -> Job:
        return self.moved(JobState.SUCCEEDED, result_packing_no=result_packing_no, finished_at=at)

    def fail(self, failure: Failure, at: datetime) -> Job:
        return self.moved(
            JobState.FAILED,
            failure_code=failure.code,
            failure_detail=failure.detail,
            finished_at=at,
        )

    @property
    def failure(self) -> Failure | None:
        return Failure(self.failure_code, self.failure_detail) if self.failure_code else None

    @property
    def recovery(self) -> Recovery:
        """What this job, as the order's latest, says about the order's recovery."""
        return recovery_for(self.state)

    @property
    def handed_over_at(self) -> datetime:
        """waiting_since of a job handed to the order service; ValueError for any other job
        (a bug: the caller took it for handed over)."""
        if self.waiting_since is None:
            raise ValueError(f"job {self.id} was never handed to the order service")
        return self.waiting_since


def recovery_for(state: JobState, failure_code: FailureCode | None = None) -> Recovery:
    """The order's Recovery once its latest job is in this state. Every failure code gives
    the same answer (rule 5: a failed job leaves a new request possible); the parameter stays
    for callers that pass it."""
    if state is JobState.AWAITING_APPROVAL:
        return Recovery.AWAITING
    if state in (JobState.QUEUED, JobState.RUNNING, JobState.WAITING):
        return Recovery.IN_PROGRESS
    if state is JobState.SUCCEEDED:
        return Recovery.DONE
    if state is JobState.FAILED:
        return Recovery.FAILED_RETRY
    raise ValueError("a rejected or withdrawn job gives the order back its prior recovery")
