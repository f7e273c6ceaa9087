"""A finished job's result as the outbox carries it to the request's thread: one type, with the
one encoder (to_payload) the use case writes through and the one decoder (from_payload) the
deliverer reads through."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.model import Action, Category
from domain.queues import OutboxMessage
from domain.requests import Job, JobState
from domain.status import Phase, Status

JOB_RESULT = "job_result"  # the outbox kind of a job's result; stored in every outbox row


def result_status(job: Job) -> Status:
    """The final status label a thread result starts with: Resynced, Failed to Resync,
    Recovered or Failed to Recover (also when the order has since moved to another tab)."""
    phase = Phase.DONE if job.state is JobState.SUCCEEDED else Phase.FAILED
    category = Category.API if job.action is Action.RESYNC else Category.EXCEL
    return Status.of(category, phase)


@dataclass(frozen=True)
class JobResult:
    """One finished job's result, as its outbox row tells it."""

    job_id: int
    action: Action
    status: str  # the final status label
    packing_no: str
    result_packing_no: str | None = None
    failure_code: str | None = None  # a FailureCode's value; None when the job succeeded
    reason: str | None = None
    retryable: bool | None = None

    @classmethod
    def of(cls, job: Job) -> JobResult:
        """The result of a job that has just finished."""
        failure = job.failure
        return cls(
            job_id=job.stored_id, action=job.action, status=result_status(job).label,
            packing_no=job.packing_no, result_packing_no=job.result_packing_no,
            failure_code=failure.code.value if failure else None,
            reason=failure.describe() if failure else None,
            retryable=failure.retryable if failure else None,
        )

    def to_payload(self) -> dict[str, Any]:
        """The outbox payload (JSON) of this result."""
        return {
            "job_id": self.job_id,
            "action": self.action.value,
            "status": self.status,
            "packing_no": self.packing_no,
            "result_packing_no": self.result_packing_no,
            "failure_code": self.failure_code,
            "reason": self.reason,
            "retryable": self.retryable,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> JobResult:
        """Read an outbox payload of kind JOB_RESULT."""
        return cls(
            job_id=int(payload["job_id"]), action=Action(payload["action"]),
            status=str(payload["status"]), packing_no=str(payload["packing_no"]),
            result_packing_no=payload.get("result_packing_no"),
            failure_code=payload.get("failure_code"), reason=payload.get("reason"),
            retryable=payload.get("retryable"),
        )

    def message(self, request_id: int, created_at: datetime) -> OutboxMessage:
        """The outbox message that carries this result to its request's thread."""
        return OutboxMessage(request_id=request_id, kind=JOB_RESULT, payload=self.to_payload(),
                             created_at=created_at)

    @property
    def succeeded(self) -> bool:
        return self.failure_code is None

    @property
    def new_packing_no(self) -> str | None:
        """The packing number a resync generated; None for a restore or a failure."""
        if self.succeeded and self.result_packing_no and self.result_packing_no != self.packing_no:
            return self.result_packing_no
        return None
