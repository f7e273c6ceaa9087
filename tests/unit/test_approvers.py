"""CANCELBOT_APPROVERS: user IDs approve; user-group IDs through their members, cached."""
from __future__ import annotations

import logging

import pytest

from handlers.approvers import ApproverDirectory
from tests.fakeslack import FakeSlack
from tests.slack.conftest import client_for

GROUP = "S0LEADS"


class Ticks:
    """A clock in seconds that tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        fake.usergroups[GROUP] = ["ULEAD1"]
        yield fake


def directory(slack, ids=("UBOSS1", "WBOSS2", GROUP), ttl=300.0):
    clock = Ticks()
    return ApproverDirectory(client_for(slack), ids, ttl=ttl, clock=clock), clock


def lookups(slack) -> int:
    return len(slack.calls_to("usergroups.users.list"))


def test_configured_user_ids_approve_without_asking_slack(slack):
    approvers, _ = directory(slack, ids=("UBOSS1", "WBOSS2"))
    assert approvers.is_approver("UBOSS1") and approvers.is_approver("WBOSS2")
    assert not approvers.is_approver("UOTHER")
    assert lookups(slack) == 0


def test_members_of_a_configured_group_approve_and_others_do_not(slack):
    approvers, _ = directory(slack)
    assert approvers.is_approver("ULEAD1")
    assert not approvers.is_approver("UOTHER")


def test_group_members_are_asked_once_within_the_ttl_and_again_after(slack):
    approvers, clock = directory(slack)
    approvers.is_approver("ULEAD1")
    clock.now += 299
    slack.usergroups[GROUP] = ["ULEAD2"]
    assert approvers.is_approver("ULEAD1") and lookups(slack) == 1
    clock.now += 2
    assert approvers.is_approver("ULEAD2") and not approvers.is_approver("ULEAD1")
    assert lookups(slack) == 2


def test_a_failed_refresh_keeps_the_last_known_members(slack, caplog):
    approvers, clock = directory(slack)
    approvers.is_approver("ULEAD1")
    clock.now += 301
    slack.error_next("usergroups.users.list", "internal_error")
    with caplog.at_level(logging.WARNING, logger="handlers.approvers"):
        assert approvers.is_approver("ULEAD1")
    assert "using the last known" in caplog.text


def test_with_no_members_known_nobody_approves_through_the_group(slack, caplog):
    approvers, _ = directory(slack, ids=("S0GONE",))
    with caplog.at_level(logging.ERROR, logger="handlers.approvers"):
        assert not approvers.is_approver("ULEAD1")
    assert "S0GONE unknown" in caplog.text and "no_such_subteam" in caplog.text
