"""The modal Reject opens: the reason is required and goes to the requester in the thread."""
from __future__ import annotations

from typing import Any

from domain.requests import Request
from handlers.actions import REJECT_MODAL
from handlers.render.mrkdwn import mention, section
from handlers.render.pending_request import orders_named, them

REASON_BLOCK = "reason"
REASON_ACTION = "reason_input"
REASON_MAX = 1000


def reject_modal(request: Request, packing_nos: list[str], metadata: str) -> dict[str, Any]:
    """Which request is rejected, and a required reason."""
    orders = orders_named(packing_nos)
    return {
        "type": "modal", "callback_id": REJECT_MODAL, "private_metadata": metadata,
        "title": {"type": "plain_text", "text": f"Reject request #{request.id}"[:24]},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"Reject the {request.action.value} of {orders}, requested by "
                    f"{mention(request.requested_by)}? Nothing will run, and "
                    f"{them(packing_nos)} can be requested again."),
            {"type": "input", "block_id": REASON_BLOCK,
             "label": {"type": "plain_text", "text": "Reason (the requester sees it)"},
             "element": {"type": "plain_text_input", "action_id": REASON_ACTION,
                         "multiline": True, "min_length": 1, "max_length": REASON_MAX}},
        ],
    }
