"""The action ids the bot's buttons carry, shared by the renderers and the Slack listeners."""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from domain.errors import DomainError, RequestNotAllowed
from domain.model import Action, Category
from domain.ports import ListQuery
from domain.status import Status

# a button's value is the packing number it acts on
REQUEST_RESYNC = "request_resync"
REQUEST_RESTORE = "request_restore"
REQUEST_ACTION_IDS = {Action.RESYNC: REQUEST_RESYNC, Action.RESTORE: REQUEST_RESTORE}


def request_button(action: Action, packing_no: str) -> dict[str, Any]:
    """`Request resync` / `Request restore` for one order (docs/rules.md rule 7's labels)."""
    return {"type": "button", "text": {"type": "plain_text", "text": f"Request {action.value}"},
            "action_id": REQUEST_ACTION_IDS[action], "value": packing_no}

# list pages: the value is the page's query, encoded (encode_query), so a click shows the same
# filters the page was drawn with, relative dates included
LIST_PAGE = "list_page"  # Previous / Next
LIST_CATEGORY = "list_category"  # the three category count buttons
BULK_RESYNC = "bulk_request_resync"
BULK_RESTORE = "bulk_request_restore"
BULK_ACTION_IDS = {Action.RESYNC: BULK_RESYNC, Action.RESTORE: BULK_RESTORE}

# the request message: the value is the request id
APPROVE = "approve_request"
REJECT = "reject_request"

MAX_REQUEST_ID = 2**31 - 1  # the largest id the requests table holds
REQUEST_ID = re.compile(r"[1-9][0-9]{0,9}")  # ASCII digits only: int() also takes "١٢" and " 7"


class UnreadableValue(DomainError):
    """A button or form carries a value this version did not write: nothing is done."""


UNREADABLE_REQUEST = ("That button does not carry a request number the bot can read, so "
                      "nothing was changed. Use the Approve and Reject buttons on the request "
                      "message itself.")


def request_number(value: object) -> int:
    """The request id an Approve/Reject button (or the reject form) carries; UnreadableValue
    when it is not a request id (`abc`, `2**70`, a number past the table's ids)."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not REQUEST_ID.fullmatch(text) or int(text) > MAX_REQUEST_ID:
        raise UnreadableValue(UNREADABLE_REQUEST)
    return int(text)


# the App Home's decisions: the value names the request and its recorded request message
# (home_decision_value), which the listener checks against the stored one
HOME_APPROVE = "home_approve_request"
HOME_REJECT = "home_reject_request"
_HOME_DECISION = re.compile(r"([1-9][0-9]{0,9}) ([A-Z0-9]{1,40}) ([0-9]{1,12}\.[0-9]{1,8})")


def home_decision_value(request_id: int, channel: str, ts: str) -> str:
    """'12 C0APPROVALS 1764118800.000100': a home button's request and request message."""
    return f"{request_id} {channel} {ts}"


def read_home_decision(value: object) -> tuple[int, tuple[str, str]]:
    """The request id and request message (channel, ts) a home button carries;
    UnreadableValue for anything home_decision_value did not write."""
    match = _HOME_DECISION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise UnreadableValue(UNREADABLE_REQUEST)
    return request_number(match.group(1)), (match.group(2), match.group(3))


# the message shortcut (callback id)
LOOKUP_SHORTCUT = "lookup_packing_numbers"

# modals (callback ids)
REQUEST_MODAL = "request_modal"
BULK_REQUEST_MODAL = "bulk_request_modal"
REJECT_MODAL = "reject_modal"


def encode_query(query: ListQuery) -> str:
    """A list query as a button value (compact JSON, well under Slack's 2,000 characters)."""
    fields = {
        "c": query.category.value if query.category else None,
        "s": query.status.value if query.status else None,
        "se": query.seller, "si": query.site,
        "f": query.date_from.isoformat() if query.date_from else None,
        "t": query.date_to.isoformat() if query.date_to else None,
        "p": query.page or None, "n": query.page_size,
    }
    return json.dumps({k: v for k, v in fields.items() if v is not None}, separators=(",", ":"))


STALE_LIST_BUTTON = ("This button is from an older version of the list, so it cannot be read. "
                     "Run `/cancelled list` again for a fresh one.")


def query_of_button(value: str | None) -> ListQuery:
    """The list query a list page's button carries; RequestNotAllowed (told to the clicker)
    when the value is not one this version can read."""
    try:
        return decode_query(value or "")
    except ValueError as exc:
        raise RequestNotAllowed(STALE_LIST_BUTTON) from exc


MAX_PAGE = 100_000  # far past any list; a bigger page number would overflow the database
MAX_PAGE_SIZE = 100


def decode_query(value: str) -> ListQuery:
    """The list query a button carries; ValueError when the value is not one of ours."""
    try:
        data = json.loads(value)
        query = ListQuery(
            category=Category(data["c"]) if data.get("c") else None,
            status=Status(data["s"]) if data.get("s") else None,
            seller=data.get("se"), site=data.get("si"),
            date_from=datetime.fromisoformat(data["f"]) if data.get("f") else None,
            date_to=datetime.fromisoformat(data["t"]) if data.get("t") else None,
            page=max(0, int(data.get("p") or 0)), page_size=int(data.get("n") or 10),
        )
    except (TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        raise ValueError(f"not a list query: {value[:100]!r}") from exc
    if query.page > MAX_PAGE or not 1 <= query.page_size <= MAX_PAGE_SIZE \
            or not all(isinstance(v, (str, type(None))) for v in (query.seller, query.site)):
        raise ValueError(f"not a list query: {value[:100]!r}")
    return query
