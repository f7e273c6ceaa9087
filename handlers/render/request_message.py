"""The request message in the approval channel, edited to its final status (no buttons left)."""
from __future__ import annotations

from datetime import tzinfo
from typing import Any

from domain.job_result import JobResult
from domain.requests import Request
from handlers.render.mrkdwn import (
    FALLBACK_TEXT_MAX,
    MESSAGE_BLOCKS_CHARS_BUDGET,
    Rendered,
    context,
    escape,
    line_sections,
    mention,
    section,
    slack_date,
    truncate,
)
from handlers.render.results import status_counts

NOTE_MAX = 500


def final_request_message(request: Request, results: list[JobResult],
                          zone: tzinfo) -> Rendered:
    """Action, packing number(s), requester, decision and decider, and the final status."""
    action = request.action.value
    status = results[0].status if len(results) == 1 else status_counts(results)
    title = f"{action.capitalize()} request #{request.id}"
    people = _people_lines(request, zone)
    blocks = [section("\n".join([f"*{title}* · {status}", *people]))]
    blocks += _order_sections(results, MESSAGE_BLOCKS_CHARS_BUDGET - len(blocks[0]["text"]["text"]))
    blocks.append(context("The result is in the thread." if len(results) == 1
                          else "The summary of the results is in the thread."))
    text = f"{title} · {status} · {_numbers(results)}"
    return Rendered(truncate(text, FALLBACK_TEXT_MAX), blocks)


def _people_lines(request: Request, zone: tzinfo) -> list[str]:
    requested = slack_date(request.requested_at, zone)
    lines = [f"*Requested by* {mention(request.requested_by)} on {requested}"]
    if request.note:
        lines.append(f"*Note:* {escape(truncate(request.note, NOTE_MAX))}")
    decision = request.decision.value.capitalize()
    decided = slack_date(request.decided_at, zone)
    lines.append(f"*{decision} by* {mention(request.decided_by)} on {decided}")
    return lines


def _order_sections(results: list[JobResult], budget: int) -> list[dict[str, Any]]:
    if len(results) == 1:
        return [section(f"*Packing number:* {_order_line(results[0])}\n"
                        f"*Final status:* {results[0].status}")]
    lines = [f"• {r.packing_no}{f' → {r.new_packing_no}' if r.new_packing_no else ''} · {r.status}"
             for r in results]
    return line_sections(f"*Orders ({len(results)})*", lines, budget, "…and {n} more orders.")


def _order_line(result: JobResult) -> str:
    if result.new_packing_no:
        return (f"{result.packing_no} → *{result.new_packing_no}* "
                f"({result.packing_no} is no longer valid)")
    if result.succeeded:
        return f"{result.packing_no} (kept)"
    return result.packing_no


def _numbers(results: list[JobResult]) -> str:
    if len(results) == 1:
        r = results[0]
        return f"{r.packing_no} → {r.new_packing_no}" if r.new_packing_no else r.packing_no
    return f"{len(results)} orders"
