"""A job withdrawn because its order came back to active outside cancelbot (rule 12), as the
outbox carries it to the request's thread: one type, with the one encoder (to_payload) the use
case writes through and the one decoder (from_payload) the thread notifier reads through."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.model import Action
from domain.queues import OutboxMessage
from domain.requests import Job, JobState

WITHDRAWAL = "withdrawal"  # the outbox kind of a withdrawn job


@dataclass(frozen=True)
class Withdrawal:
    """One withdrawn job: which order, which action, and whether it had been approved."""

    job_id: int
    action: Action
    packing_no: str
    was_approved: bool
    reason: str

    @classmethod
    def of(cls, job: Job, reason: str) -> Withdrawal:
        """The withdrawal of a job (awaiting approval or queued) as it is withdrawn."""
        return cls(job_id=job.stored_id, action=job.action, packing_no=job.packing_no,
                   was_approved=job.state is JobState.QUEUED, reason=reason)

    def to_payload(self) -> dict[str, Any]:
        """The outbox payload (JSON) of this withdrawal."""
        return {
            "job_id": self.job_id,
            "action": self.action.value,
            "packing_no": self.packing_no,
            "was_approved": self.was_approved,
            "reason": self.reason,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Withdrawal:
        """Read an outbox payload of kind WITHDRAWAL."""
        return cls(
            job_id=int(payload["job_id"]), action=Action(payload["action"]),
            packing_no=str(payload["packing_no"]), was_approved=bool(payload["was_approved"]),
            reason=str(payload["reason"]),
        )

    def message(self, request_id: int, created_at: datetime) -> OutboxMessage:
        """The outbox message that carries this withdrawal to its request's thread."""
        return OutboxMessage(request_id=request_id, kind=WITHDRAWAL, payload=self.to_payload(),
                             created_at=created_at)

    @property
    def sentence(self) -> str:
        """What the thread says: which order, what will not run, and why."""
        what = "approved " if self.was_approved else ""
        return (f"Withdrawn: the {what}{self.action.value} of {self.packing_no} will not run: "
                f"{self.reason}.")


def reactivated_reason(packing_no: str) -> str:
    """Why a job is withdrawn when Smartship reports its order active again."""
    return (f"Smartship reports {packing_no} active again (it was brought back outside "
            "cancelbot), so there is nothing left to recover")
