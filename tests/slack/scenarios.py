"""Requests taken through the real use cases up to a result in the outbox, for Slack tests."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.execution import run_job
from domain.model import Action, Order, SalesOrderStatus
from domain.requests import Job
from domain.workflow import ApprovalPolicy, approve, set_request_message, submit_request
from store.embedded_sales_site import EmbeddedSalesSite
from store.models import OutboxRow
from tests.fakeslack import FakeSlack
from tests.integration.builders import NOW, add_orders, add_sales_orders, ctx, sales_order_row

APPROVALS = "C0APPROVALS"
REQUESTER = "UREQUESTER1"
APPROVER = "UAPPROVER1"
POLICY = ApprovalPolicy(is_approver=lambda user: user.startswith("UAPPROVER"))
APPROVED_AT = NOW + timedelta(minutes=1)
RAN_AT = NOW + timedelta(minutes=5)


@dataclass(frozen=True)
class Placed:
    """An approved request, and where its request message is (None: not posted yet)."""

    request_id: int
    jobs: list[Job]
    channel: str | None
    ts: str | None


def with_sales_orders(uow: Callable[..., Any], sessions: Callable[[], Session],
                      *pairs: tuple[Order, SalesOrderStatus | None]) -> list[Order]:
    """Orders added, each with its sales order in that status (None: no sales order at all)."""
    stored = add_orders(uow, *(order for order, _ in pairs))
    rows = [sales_order_row(o, status)
            for o, (_, status) in zip(stored, pairs, strict=True) if status]
    if rows:
        add_sales_orders(sessions, *rows)
    return stored


def request_message_blocks(text: str) -> list[dict[str, Any]]:
    """A request message as the approval flow posts it: a summary and its two buttons."""
    buttons = [{"type": "button", "action_id": name.lower(), "value": "request",
                "text": {"type": "plain_text", "text": name}} for name in ("Approve", "Reject")]
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "actions", "elements": buttons}]


def approved_request(uow: Callable[..., Any], client: WebClient | None, packing_nos: list[str],
                     action: Action, post: bool = True, note: str = "") -> Placed:
    """Submit and approve a request; post its request message and remember it unless post=False."""
    with uow() as u:
        submitted = submit_request(u, packing_nos, action, REQUESTER, note, ctx())
    request_id = submitted.request.stored_id
    with uow() as u:
        approve(u, request_id, APPROVER, APPROVED_AT, POLICY)
    if not post:
        return Placed(request_id, submitted.jobs, None, None)
    assert client is not None, "posting the request message needs a Slack client"
    text = f"{action.value} request #{request_id}"
    ts = client.chat_postMessage(channel=APPROVALS, text=text,
                                 blocks=request_message_blocks(text))["ts"]
    place_message(uow, request_id, ts)
    return Placed(request_id, submitted.jobs, APPROVALS, ts)


def place_message(uow: Callable[..., Any], request_id: int, ts: str) -> None:
    with uow() as u:
        set_request_message(u, request_id, APPROVALS, ts)


def run_jobs(uow: Callable[..., Any], sessions: Callable[[], Session], jobs: list[Job]) -> None:
    """Run each job to its end with the embedded sales site."""
    for job in jobs:
        run_job(uow, EmbeddedSalesSite(sessions), job.id, ctx(RAN_AT))  # type: ignore[arg-type]


def outbox_rows(sessions: Callable[[], Session]) -> list[OutboxRow]:
    with sessions() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def replies(slack: FakeSlack, placed: Placed) -> list[dict[str, Any]]:
    """The replies in the request message's thread."""
    return slack.replies(placed.channel, placed.ts)  # type: ignore[arg-type]
