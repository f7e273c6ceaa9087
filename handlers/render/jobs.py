"""`/cancelled jobs`: jobs queued or running, and results Slack has not taken yet."""
from __future__ import annotations

from datetime import tzinfo

from domain.lookup import JobsOverview
from domain.ports import OutboxMessage
from domain.remote_recovery import waiting_words
from domain.requests import Job, JobState
from handlers.render.mrkdwn import (
    FALLBACK_TEXT_MAX,
    MESSAGE_BLOCKS_CHARS_BUDGET,
    Rendered,
    escape,
    line_sections,
    local_times,
    slack_date,
    truncate,
)

ERROR_MAX = 200  # escaped (up to 5 times longer), a line still fits its limit
NUMBER_MAX = 40


def jobs_message(overview: JobsOverview, zone: tzinfo,
                 budget: int = MESSAGE_BLOCKS_CHARS_BUDGET) -> Rendered:
    """Both lists with their counts; lines past the room (budget characters) are counted."""
    jobs, undelivered = overview.jobs, overview.undelivered
    # the jobs get half the room, the undelivered results (with their errors) the other half
    half = budget // 2
    blocks = line_sections(f"*Jobs queued or running: {len(jobs)}*",
                           [job_line(job, zone) for job in jobs], half,
                           "…and {n} more jobs.")
    blocks += line_sections(f"*Results not yet in their Slack thread: {len(undelivered)}*",
                            [undelivered_line(m, zone) for m in undelivered], half,
                            "…and {n} more results.")
    text = (f"Jobs queued or running: {len(jobs)}; "
            f"results not yet in their Slack thread: {len(undelivered)}")
    return Rendered(truncate(text, FALLBACK_TEXT_MAX), blocks)


def job_line(job: Job, zone: tzinfo) -> str:
    """'#12 resync QSP… (request #3): queued, attempt 0'; a job waiting on the order service
    says since when, its recovery there, its errors in a row and its next look."""
    line = f"• #{job.id} {job.action.value} `{job.packing_no}` (request #{job.request_id}): "
    if job.state is JobState.WAITING:
        return line + local_times(escape(truncate(waiting_words(job, zone), ERROR_MAX * 2)), zone)
    return line + f"{job.state.value.replace('_', ' ')}, attempt {job.attempts}"


def undelivered_line(message: OutboxMessage, zone: tzinfo) -> str:
    """A result waiting for its thread: attempts, last error and next try, or first delivery."""
    packing_no = escape(truncate(str(message.payload.get("packing_no", "?")), NUMBER_MAX))
    line = f"• request #{message.request_id} (`{packing_no}`): "
    if not message.attempts:
        return line + "waiting for its first delivery"
    retry = slack_date(message.next_attempt_at, zone) if message.next_attempt_at else "soon"
    error = escape(truncate(message.last_error or "unknown", ERROR_MAX))
    plural = "s" if message.attempts != 1 else ""
    return line + (f"{message.attempts} failed attempt{plural}, last error: {error}; "
                   f"next try {retry}")
