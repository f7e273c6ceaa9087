"""A finished request's result as a reply in its thread: one job, or one summary for many."""
from __future__ import annotations

from typing import Any

from domain.job_result import JobResult
from domain.model import Action
from domain.status import Status
from handlers.render.mrkdwn import (
    FALLBACK_TEXT_MAX,
    MESSAGE_BLOCKS_CHARS_BUDGET,
    Rendered,
    context,
    escape,
    line_sections,
    mention,
    section,
    truncate,
)

RESTART_STAGES = "order confirmation, then the waybill, then pickup"  # docs/rules.md rule 4
RESTART = f"Processing starts again at {RESTART_STAGES}."
LABELS = {  # action: (success label, failure label)
    Action.RESYNC: (Status.RESYNCED.label, Status.FAILED_TO_RESYNC.label),
    Action.RESTORE: (Status.RECOVERED.label, Status.FAILED_TO_RECOVER.label),
}
FAILURES_BUDGET = 6500  # failures come first: they are what somebody has to act on


def status_counts(results: list[JobResult]) -> str:
    """'Resynced 8 · Failed to Resync 2': a label first, successes before failures."""
    done_label, failed_label = LABELS[results[0].action]
    done = sum(r.succeeded for r in results)
    parts = [(done_label, done), (failed_label, len(results) - done)]
    return " · ".join(f"{label} {n}" for label, n in parts if n)


def result_reply(results: list[JobResult], requester: str, request_id: int) -> Rendered:
    """The thread reply for a request's results: one job's result, or one summary for all."""
    if len(results) == 1:
        return job_reply(results[0], requester, request_id)
    return bulk_reply(results, requester, request_id)


def job_reply(result: JobResult, requester: str, request_id: int) -> Rendered:
    """'Resynced · new packing number …' and what it means, naming the requester."""
    label, rest = result.status, _headline_rest(result)
    body = _job_body(result, mention(requester))
    blocks = [
        section("\n".join([f"*{label}* · {rest}", *body])),
        context(f"Request #{request_id} · {result.action.value}"),
    ]
    return Rendered(truncate("\n".join([f"{label} · {rest}", *body]), FALLBACK_TEXT_MAX), blocks)


def _headline_rest(result: JobResult) -> str:
    if result.new_packing_no:
        return f"new packing number {result.new_packing_no}"
    if result.succeeded:
        return f"packing number {result.packing_no} kept"
    return f"packing number {result.packing_no}"


def _job_body(result: JobResult, who: str) -> list[str]:
    old, new = result.packing_no, result.new_packing_no
    if new:
        return [f"{who}, {old} was resynced as {new}. {old} is no longer valid: use {new} from "
                "now on.", RESTART]
    if result.succeeded:
        return [f"{who}, {old} was restored with the same packing number and order data.",
                RESTART]
    return [f"{who}, the {result.action.value} of {old} failed.",
            f"Reason: {escape(_reason(result))}", *_advice(result)]


def _reason(result: JobResult) -> str:
    if result.reason:
        return result.reason
    return "not recorded." + (" A new request is allowed." if result.retryable else "")


def _advice(result: JobResult) -> list[str]:
    if result.retryable:
        return [f"To try again, look it up with `/cancelled {result.packing_no}` and press "
                f"Request {result.action.value}."]
    return []


def bulk_reply(results: list[JobResult], requester: str, request_id: int) -> Rendered:
    """One summary for a request of many orders: counts, then each failure with its reason."""
    action = results[0].action
    headline = f"{status_counts(results)} ({len(results)} orders)"
    intro = f"{mention(requester)}, your {action.value} request #{request_id} is finished."
    failed = [r for r in results if not r.succeeded]
    done = [r for r in results if r.succeeded]
    fail_lines = [f"• {r.packing_no} — {escape(_reason(r))}" for r in failed]
    blocks = [section(f"*{headline}*\n{intro}")]
    if failed:
        blocks += line_sections(f"*{LABELS[action][1]} ({len(failed)})*", fail_lines,
                                FAILURES_BUDGET, "…and {n} more failures.")
    if done:
        left = MESSAGE_BLOCKS_CHARS_BUDGET - _chars(blocks) - len(RESTART) - 50
        blocks += _done_sections(action, done, left)
        blocks.append(context(RESTART))
    text = "\n".join([headline, intro, *fail_lines])
    return Rendered(truncate(text, FALLBACK_TEXT_MAX), blocks)


def _done_sections(action: Action, done: list[JobResult], budget: int) -> list[dict[str, Any]]:
    label = LABELS[action][0]
    if action is Action.RESYNC:
        title = f"*{label} ({len(done)})* — the old packing numbers are no longer valid:"
        lines = [f"• {r.packing_no} → {r.new_packing_no or r.result_packing_no}" for r in done]
    else:
        title = f"*{label} ({len(done)})* — packing numbers kept:"
        lines = [f"• {r.packing_no}" for r in done]
    return line_sections(title, lines, budget, "…and {n} more.")


def _chars(blocks: list[dict[str, Any]]) -> int:
    return sum(len(block.get("text", {}).get("text", "")) for block in blocks)
