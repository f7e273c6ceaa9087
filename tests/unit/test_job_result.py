"""A job's result crosses the outbox as JSON and comes back to the thread as it was written."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.failures import Failure, FailureCode
from domain.job_result import JOB_RESULT, JobResult
from domain.model import Action
from domain.requests import Job, JobState

AT = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


def _running(action: Action, job_id: int | None = 7) -> Job:
    return Job(3, 11, "QSP2611230001", action, state=JobState.RUNNING, id=job_id)


def test_a_failed_restore_reads_back_from_its_outbox_row_with_its_reason_and_advice():
    job = _running(Action.RESTORE).fail(
        Failure(FailureCode.DUPLICATE_ALIVE, "duplicates: QSP2611230002"), AT)
    message = JobResult.of(job).message(job.request_id, AT)
    read = JobResult.from_payload(message.payload)
    assert message.kind == JOB_RESULT and message.request_id == 3
    assert read == JobResult.of(job)
    assert (read.status, read.succeeded, read.retryable) == ("Failed to Recover", False, True)
    assert "QSP2611230002" in (read.reason or "")


def test_a_resync_reads_back_with_its_new_packing_number():
    job = _running(Action.RESYNC).succeed("QSP2611260001", AT)
    read = JobResult.from_payload(JobResult.of(job).to_payload())
    assert (read.status, read.new_packing_no, read.job_id) == ("Resynced", "QSP2611260001", 7)


def test_a_result_row_stored_by_an_earlier_version_is_still_read():
    stored = {"job_id": 9, "action": "resync", "status": "Failed to Resync",
              "packing_no": "QSP2611230001", "result_packing_no": None,
              "failure_code": "on_claim", "reason": "the sales order is on claim",
              "retryable": True}
    assert JobResult.from_payload(stored) == JobResult(
        9, Action.RESYNC, "Failed to Resync", "QSP2611230001", None, "on_claim",
        "the sales order is on claim", True)


def test_a_job_never_stored_has_no_result_to_report():
    job = _running(Action.RESYNC, job_id=None).succeed("QSP2611260001", AT)
    with pytest.raises(ValueError, match="Job has no id"):
        JobResult.of(job)
