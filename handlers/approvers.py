"""Who may approve: CANCELBOT_APPROVERS' user IDs, and the members of its user-group IDs."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from slack_sdk import WebClient

DEFAULT_TTL_SECONDS = 300.0  # a member added to a group may approve within five minutes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Members:
    users: frozenset[str]
    fetched_at: float


def is_group_id(configured: str) -> bool:
    """User-group IDs start with S (user IDs with U or W)."""
    return configured.startswith("S")


class ApproverDirectory:
    """Approvers from user IDs and user-group IDs (usergroups.users.list, cached for ttl)."""

    def __init__(self, client: WebClient, ids: Iterable[str], ttl: float = DEFAULT_TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        configured = {i.strip() for i in ids if i and i.strip()}
        self.client = client
        self.users = frozenset(i for i in configured if not is_group_id(i))
        self.groups = tuple(sorted(i for i in configured if is_group_id(i)))
        self.ttl = ttl
        self.clock = clock
        self._known: dict[str, _Members] = {}
        self._lock = threading.Lock()  # one refresh at a time; clicks come on several threads

    def is_approver(self, user_id: str) -> bool:
        """Whether user_id is a configured approver or a member of a configured group."""
        if user_id in self.users:
            return True
        return any(user_id in self.members(group) for group in self.groups)

    def members(self, group: str) -> frozenset[str]:
        """The group's members, refreshed when older than ttl; the last known on a failure."""
        with self._lock:
            known = self._known.get(group)
            now = self.clock()
            if known is not None and now - known.fetched_at < self.ttl:
                return known.users
            try:
                users = frozenset(self.client.usergroups_users_list(usergroup=group)["users"] or [])
            except Exception as exc:  # Slack or the network: keep deciding with what we know
                return self._stale(group, known, exc)
            self._known[group] = _Members(users, now)
            return users

    def _stale(self, group: str, known: _Members | None, exc: Exception) -> frozenset[str]:
        if known is None:
            log.error("members of approver group %s unknown (%s): nobody approves through it",
                      group, exc)
            return frozenset()
        log.warning("members of approver group %s not refreshed (%s); using the last known",
                    group, exc)
        return known.users
