"""What every listener needs, passed in when the app is built: no listener reads globals."""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Protocol

from domain.ports import UnitOfWork
from domain.services import SalesSite
from domain.status import StatusContext
from domain.workflow import ApprovalPolicy

# Slack's trigger_id lives 3 s: the request modal's sales-site read gets half, leaving the rest
# to the lookup and views.open
SITE_READ_SECONDS = 1.5
# more orders than this take more than a moment to read and upload (`list … export`)
EXPORT_NOTE_ABOVE = 1_000
# an answer ready within this goes in the acknowledgement itself; a later one is acknowledged
# empty and sent to the response URL, so Slack's 3 s wait for the acknowledgement is kept
ANSWER_SECONDS = 2.0


def answer_pool() -> Executor:
    """Threads that make answers while the listener waits for them (handlers/answers.py)."""
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="answer")


class Approvers(Protocol):
    """Answers whether a Slack user may approve; user groups already resolved (and cached)."""

    def is_approver(self, user_id: str) -> bool: ...


@dataclass(frozen=True)
class Deps:
    """The store, the clock and the settings the Slack listeners use."""

    uow: Callable[[], UnitOfWork]
    clock: Callable[[], datetime]
    zone: tzinfo
    approvers: Approvers
    sites_not_ready: frozenset[str] = frozenset()
    approval_channel: str | None = None  # None: the channel where the request was made
    allow_self_approval: bool = False
    # the sales site the resync request modal reads (None: the modal does not ask it), and
    # how long that read may take before the modal opens without its answer
    sales_site: SalesSite | None = None
    site_read_seconds: float = SITE_READ_SECONDS
    # an export of more orders than this says first that its file is coming
    export_note_above: int = EXPORT_NOTE_ABOVE
    # where answers are made, and how long one may take to go in the acknowledgement
    answers: Executor = field(default_factory=answer_pool)
    answer_seconds: float = ANSWER_SECONDS

    def ctx(self) -> StatusContext:
        """The status context at this moment."""
        return StatusContext(self.clock(), self.zone, self.sites_not_ready)

    def policy_for(self, user_id: str) -> ApprovalPolicy:
        """Who may decide requests, checked at every click: whether user_id is an approver is
        asked now, before any transaction, because a user group may take a Slack call
        (usergroups.users.list) that must not hold the database's write lock."""
        approver = self.approvers.is_approver(user_id)
        return ApprovalPolicy(lambda user: approver and user == user_id, self.allow_self_approval)
