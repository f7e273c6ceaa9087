"""`/cancelled jobs`: jobs queued or running, and results Slack has not taken yet."""
from __future__ import annotations

from datetime import tzinfo
from typing import Any

from domain.feed_ledger import FeedProblem, FeedState
from domain.lookup import JobsOverview
from domain.queues import OutboxMessage
from domain.remote_recovery import waiting_words
from domain.requests import Job, JobState
from handlers.render.mrkdwn import (
    FALLBACK_TEXT_MAX,
    MESSAGE_BLOCKS_CHARS_BUDGET,
    Rendered,
    escape,
    line_sections,
    local_times,
    section,
    slack_date,
    truncate,
)

ERROR_MAX = 200  # escaped (up to 5 times longer), a line still fits its limit
NUMBER_MAX = 40
CURSOR_MAX = 60


def jobs_message(overview: JobsOverview, zone: tzinfo,
                 budget: int = MESSAGE_BLOCKS_CHARS_BUDGET) -> Rendered:
    """Both lists with their counts; lines past the room (budget characters) are counted."""
    jobs, undelivered = overview.jobs, overview.undelivered
    blocks: list[dict[str, Any]] = []
    if overview.feed is not None:
        # the order feed (when polled here) gets a quarter of the room
        blocks += feed_sections(overview, zone, budget // 4)
        budget -= budget // 4
    # the jobs get half the room, the undelivered results (with their errors) the other half
    half = budget // 2
    blocks += line_sections(f"*Jobs queued or running: {len(jobs)}*",
                           [job_line(job, zone) for job in jobs], half,
                           "…and {n} more jobs.")
    blocks += line_sections(f"*Results not yet in their Slack thread: {len(undelivered)}*",
                            [undelivered_line(m, zone) for m in undelivered], half,
                            "…and {n} more results.")
    text = (f"Jobs queued or running: {len(jobs)}; "
            f"results not yet in their Slack thread: {len(undelivered)}")
    if overview.feed is not None:
        text += f"; order feed problems: {overview.feed_problem_count}"
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


def feed_sections(overview: JobsOverview, zone: tzinfo, budget: int) -> list[dict[str, Any]]:
    """The order feed's state, then its problems, newest first, within budget characters (the
    count in the title is of every problem kept; the newest are listed)."""
    assert overview.feed is not None
    status = section(feed_line(overview.feed, zone))
    count = overview.feed_problem_count
    problems = line_sections(f"*Order feed problems (records not applied): {count}*",
                             [problem_line(p, zone) for p in overview.feed_problems],
                             budget - len(status["text"]["text"]),
                             "…and {n} more problems.")
    return [status, *problems]


def feed_line(feed: FeedState, zone: tzinfo) -> str:
    """'*Order feed:* last success …, cursor `…`, N records in M pages; last error …'."""
    success = slack_date(feed.last_success_at, zone) if feed.last_success_at else "never"
    cursor = escape(truncate(feed.cursor, CURSOR_MAX)) or "(start)"
    line = (f"*Order feed:* last success {success}; cursor `{cursor}`; {feed.records} "
            f"record{'s' if feed.records != 1 else ''} in {feed.pages} "
            f"page{'s' if feed.pages != 1 else ''} applied")
    if feed.last_error and feed.last_error_at:
        line += (f"\nlast error {slack_date(feed.last_error_at, zone)}: "
                 f"{escape(truncate(feed.last_error, ERROR_MAX))}; asked again next tick")
    return line


def problem_line(problem: FeedProblem, zone: tzinfo) -> str:
    """'• `QSP…` 2026-11-20 14:03 KST: origin: …' (a record without a packing number says so)."""
    packing_no = escape(truncate(problem.packing_no, NUMBER_MAX)) if problem.packing_no else ""
    who = f"`{packing_no}`" if packing_no else "(no packing number)"
    return (f"• {who} {slack_date(problem.seen_at, zone)}: "
            f"{escape(truncate(problem.reason, ERROR_MAX * 2))}")
