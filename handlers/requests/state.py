"""What a request modal remembers between the click and its submission (private_metadata)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from domain.model import Action
from handlers.actions import UnreadableValue

METADATA_MAX = 3000  # Slack's limit on a view's private_metadata
UNREADABLE_FORM = ("This form does not carry an order or list the bot can read, so nothing was "
                   "requested. Close it and press the request button again.")


@dataclass(frozen=True)
class ModalState:
    """The order (or list page) and action asked for, and where the click came from."""

    action: Action
    channel: str | None  # where the button was: the request message goes there without an
    response_url: str | None  # approval channel; the requester is answered through this URL
    ephemeral: bool  # the button was on the requester's own card, which may be replaced
    packing_no: str | None = None
    query: str | None = None  # a bulk request: the list page's query, as its button carries it

    def dump(self) -> str:
        """As private_metadata: compact JSON (the error handler reads response_url from it)."""
        data = {k: v for k, v in asdict(self).items() if v is not None}
        text = json.dumps({**data, "action": self.action.value}, separators=(",", ":"))
        if len(text) > METADATA_MAX:
            raise ValueError(f"modal state too long ({len(text)} characters)")
        return text

    @classmethod
    def load(cls, text: object) -> ModalState:
        """Read what dump wrote; UnreadableValue (told to the user) for anything else."""
        if not isinstance(text, str):
            raise UnreadableValue(UNREADABLE_FORM)
        try:
            data = json.loads(text)  # anything JSON: every value is checked below
            action = Action(data["action"])
            channel, response_url, packing_no, query = (
                data.get(key) for key in ("channel", "response_url", "packing_no", "query"))
            ephemeral = data.get("ephemeral", False)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            raise UnreadableValue(UNREADABLE_FORM) from None
        texts = (channel, response_url, packing_no, query)
        if not all(isinstance(v, (str, type(None))) for v in texts) \
                or not isinstance(ephemeral, bool) \
                or (packing_no is None) == (query is None):  # one order, or a page
            raise UnreadableValue(UNREADABLE_FORM)
        return cls(action=action, channel=channel, response_url=response_url,
                   ephemeral=ephemeral, packing_no=packing_no, query=query)

    @classmethod
    def of_click(cls, body: dict[str, Any], action: Action, **target: str) -> ModalState:
        """The state of a button click's payload, for the order or page in target."""
        container = body.get("container") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        return cls(action=action, channel=channel, response_url=body.get("response_url"),
                   ephemeral=bool(container.get("is_ephemeral")), **target)


def typed(body: dict[str, Any], block_id: str) -> str:
    """What the user typed in a modal's input block (empty when nothing)."""
    values = (((body.get("view") or {}).get("state") or {}).get("values") or {}).get(block_id)
    for element in (values or {}).values():
        return (element or {}).get("value") or ""
    return ""
