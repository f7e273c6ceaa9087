"""The App Home tab: tab counts, orders closing within 24 h, the user's requests in flight and,
for approvers, the requests waiting for them. At most 10 items a part: some 50 blocks, inside
the 100 a Home tab may hold."""
from __future__ import annotations

from datetime import tzinfo
from typing import Any

from domain.home import HOME_SPAN, Home, RequestLine, Shown
from domain.model import Category
from domain.requests import Decision
from handlers.actions import HOME_APPROVE, HOME_REJECT, home_decision_value
from handlers.render.digest import list_command, order_section, span_words
from handlers.render.mrkdwn import context, escape, mention, section, slack_date, truncate

NOTE_MAX = 200
NUMBERS_SHOWN = 5  # packing numbers named per request line; the rest are counted


def home_view(home: Home, zone: tzinfo, can_request: bool = True) -> dict[str, Any]:
    """The Home tab view for views.publish; can_request: show the Request buttons (an approval
    channel is set, so a request made from here has somewhere to go)."""
    blocks: list[dict[str, Any]] = [
        _header("Cancelled deliveries"),
        section(_counts(home.by_category)),
        context(f"As of {slack_date(home.now, zone)}. Open this tab again to refresh it; "
                "`/cancelled help` lists every command."),
    ]
    blocks += _closing(home, zone, can_request)
    blocks += [{"type": "divider"}, _header("Your requests in flight")]
    blocks += _requests(home.mine, zone, "You have no request waiting or running.",
                        "…and more: `/cancelled jobs` shows every job in flight.")
    if home.waiting is not None:
        blocks += [{"type": "divider"}, _header("Waiting for your approval")]
        blocks += _requests(home.waiting, zone, "No request is waiting for your approval.",
                            "…and more, in the approval channel.", decide=True)
    return {"type": "home", "blocks": blocks}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def _counts(by_category: dict[Category, int]) -> str:
    return "\n".join(f"*{category.label}:* {by_category.get(category, 0)}"
                     for category in Category)


def _closing(home: Home, zone: tzinfo, can_request: bool) -> list[dict[str, Any]]:
    span = span_words(HOME_SPAN)
    blocks: list[dict[str, Any]] = [{"type": "divider"}, _header(f"Closing within {span}")]
    items = home.closing.items
    if not items:
        return blocks + [context(f"No order that can still be requested closes within {span}.")]
    for item in items:
        block = order_section(item, zone)
        if not can_request:
            del block["accessory"]
        blocks.append(block)
    if home.closing.more:
        blocks.append(context(f"…and {home.closing.more} more: `{list_command(HOME_SPAN)}` "
                              "lists them all."))
    return blocks


def _requests(shown: Shown, zone: tzinfo, empty: str, more: str,
              decide: bool = False) -> list[dict[str, Any]]:
    if not shown.items:
        return [context(empty)]
    blocks: list[dict[str, Any]] = []
    for line in shown.items:
        blocks.append(section(request_line(line, zone, with_requester=decide)))
        if decide:
            blocks.append(_decide_buttons(line))
    if shown.more:
        blocks.append(context(more))
    return blocks


def request_line(line: RequestLine, zone: tzinfo, with_requester: bool = False) -> str:
    """'*Resync request #3* · awaiting approval · QSP…, requested <date>' with its note."""
    request, numbers = line.request, line.packing_nos
    named = ", ".join(f"`{n}`" for n in numbers[:NUMBERS_SHOWN])
    if len(numbers) > NUMBERS_SHOWN:
        named += f" and {len(numbers) - NUMBERS_SHOWN} more"
    state = ("awaiting approval" if request.decision is Decision.PENDING
             else "approved, in progress")
    who = f" by {mention(request.requested_by)}" if with_requester else ""
    text = (f"*{request.action.value.capitalize()} request #{request.id}* · {state} · {named}\n"
            f"Requested{who} on {slack_date(request.requested_at, zone)}")
    if request.note:
        text += f"\n_Note:_ {escape(truncate(request.note, NOTE_MAX))}"
    return text


def _decide_buttons(line: RequestLine) -> dict[str, Any]:
    request = line.request
    value = home_decision_value(request.stored_id, request.channel_id or "",
                                request.message_ts or "")
    return {"type": "actions", "block_id": f"home_decide_{request.id}", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Approve"},
         "action_id": HOME_APPROVE, "value": value, "style": "primary"},
        {"type": "button", "text": {"type": "plain_text", "text": "Reject"},
         "action_id": HOME_REJECT, "value": value, "style": "danger"},
    ]}
