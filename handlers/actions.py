"""The action ids the bot's buttons carry, shared by the renderers and the Slack listeners."""
from __future__ import annotations

from typing import Any

from domain.model import Action

# a button's value is the packing number it acts on
REQUEST_RESYNC = "request_resync"
REQUEST_RESTORE = "request_restore"
REQUEST_ACTION_IDS = {Action.RESYNC: REQUEST_RESYNC, Action.RESTORE: REQUEST_RESTORE}


def request_button(action: Action, packing_no: str) -> dict[str, Any]:
    """`Request resync` / `Request restore` for one order (DESIGN.md's button labels)."""
    return {"type": "button", "text": {"type": "plain_text", "text": f"Request {action.value}"},
            "action_id": REQUEST_ACTION_IDS[action], "value": packing_no}
