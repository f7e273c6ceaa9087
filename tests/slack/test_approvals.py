"""`Approve` / `Reject` on the request message: checked at every click, one decision only."""
from __future__ import annotations

import functools
import threading

from sqlalchemy import select

from domain.model import Origin
from domain.requests import Decision, JobState
from handlers.actions import APPROVE, REJECT
from store.models import JobRow
from tests.integration.builders import add_orders, cancelled
from tests.races import failures, together
from tests.slack.conftest import APPROVER_GROUP, GROUP_APPROVER, serving
from tests.slack.requesting import (
    opened_view,
    press,
    request_through_modal,
    rows,
    said_to,
    view_text,
)
from tests.slack.scenarios import APPROVALS, APPROVER, REQUESTER
from tests.slack.signed import buttons

API_NO = "QSP2611230001"
EXCEL_NO = "ACC000002"
OUTSIDER = "UOUTSIDER1"
OTHER_REQUESTER = "UREQUESTER2"
SECOND_APPROVER = GROUP_APPROVER


def requested(app, packing_no: str = API_NO, user: str = REQUESTER) -> dict:
    origin = Origin.API if packing_no.startswith("QSP") else Origin.EXCEL
    add_orders(app.uow, cancelled(packing_no, origin=origin))
    message, _ = request_through_modal(app, packing_no, user=user)
    return message


def current(app, message: dict) -> dict:
    return app.fake.message(APPROVALS, message["ts"])


def decided(app, message: dict) -> dict:
    """The request message once it was edited."""
    return app.fake.wait_for(lambda: "edited" in current(app, message) and current(app, message))


def job_states(app) -> list[JobState]:
    with app.sessions() as session:
        return [JobState(s) for s in session.scalars(select(JobRow.state).order_by(JobRow.id))]


def test_approval_edits_the_message_without_buttons_tells_the_thread_and_queues_the_job(
        running_app):
    message = requested(running_app)

    reply = press(running_app, message, APPROVE, APPROVER)

    assert (reply.status, reply.body) == (200, "")
    edited = decided(running_app, message)
    assert buttons(edited) == []
    text = view_text(edited)
    assert "*Resync request #1* · Approved · Resyncing" in text
    assert f"*Approved by* <@{APPROVER}> on <!date^" in text
    thread = running_app.fake.wait_for(lambda: running_app.fake.replies(APPROVALS, message["ts"]))
    assert thread[0]["text"] == (f"Approved by <@{APPROVER}>. <@{REQUESTER}>, the resync of "
                                 f"{API_NO} is queued; the result will follow in this thread.")
    assert job_states(running_app) == [JobState.QUEUED]


def test_a_member_of_an_approver_group_may_approve(running_app):
    message = requested(running_app)

    press(running_app, message, APPROVE, GROUP_APPROVER)

    assert f"*Approved by* <@{GROUP_APPROVER}>" in view_text(decided(running_app, message))
    assert job_states(running_app) == [JobState.QUEUED]


def test_approver_group_members_are_looked_up_once_within_the_cache_time(running_app):
    first = requested(running_app, API_NO)
    second = requested(running_app, EXCEL_NO)

    press(running_app, first, APPROVE, GROUP_APPROVER)
    decided(running_app, first)
    press(running_app, second, APPROVE, GROUP_APPROVER)
    decided(running_app, second)

    calls = running_app.fake.calls_to("usergroups.users.list")
    assert [c.params["usergroup"] for c in calls] == [APPROVER_GROUP]


def test_while_slack_is_slow_to_name_a_groups_members_another_persons_request_goes_through(
        fake_slack, db_url):
    fake_slack.usergroups[APPROVER_GROUP] = [GROUP_APPROVER]
    # the client waits far longer than the test takes: the lookup ends when the test says so
    with serving(fake_slack, db_url, client_timeout=120.0) as app:
        first = requested(app, API_NO)
        add_orders(app.uow, cancelled(EXCEL_NO, origin=Origin.EXCEL))
        members_known = threading.Event()
        fake_slack.hang_next("usergroups.users.list", until=members_known)
        press(app, first, APPROVE, GROUP_APPROVER)
        fake_slack.wait_for(lambda: fake_slack.calls_to("usergroups.users.list"))
        try:  # the approval is waiting for Slack: another person looks up, requests, writes
            second, _ = request_through_modal(app, EXCEL_NO, user=OTHER_REQUESTER)
        finally:
            members_known.set()

        assert "*Restore request #2* · Awaiting approval" in view_text(second)
        assert f"*Approved by* <@{GROUP_APPROVER}>" in view_text(decided(app, first))
        assert job_states(app) == [JobState.QUEUED, JobState.AWAITING_APPROVAL]


def test_somebody_who_is_not_an_approver_is_refused_and_nothing_changes(running_app):
    message = requested(running_app)
    before = rows(running_app)

    reply = press(running_app, message, APPROVE, OUTSIDER)

    assert said_to(running_app, reply) == ("Only the configured approvers can approve or reject "
                                           "requests.")
    answer = running_app.fake.posted_to(reply.response_url)[-1]
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert current(running_app, message) == message
    assert rows(running_app) == before and job_states(running_app) == [JobState.AWAITING_APPROVAL]


def test_somebody_who_is_not_an_approver_gets_no_reject_modal(running_app):
    message = requested(running_app)
    opened = len(running_app.fake.calls_to("views.open"))

    reply = press(running_app, message, REJECT, OUTSIDER)

    assert said_to(running_app, reply).startswith("Only the configured approvers")
    assert len(running_app.fake.calls_to("views.open")) == opened


def test_an_approver_cannot_approve_their_own_request(running_app):
    message = requested(running_app, user=APPROVER)
    before = rows(running_app)

    reply = press(running_app, message, APPROVE, APPROVER)

    assert said_to(running_app, reply) == ("You made this request, so someone else has to "
                                           "approve or reject it.")
    assert rows(running_app) == before and job_states(running_app) == [JobState.AWAITING_APPROVAL]
    assert current(running_app, message) == message


def test_an_approver_may_approve_their_own_request_when_configuration_allows(fake_slack, db_url):
    with serving(fake_slack, db_url, allow_self_approval=True) as app:
        message = requested(app, user=APPROVER)

        press(app, message, APPROVE, APPROVER)

        assert f"*Approved by* <@{APPROVER}>" in view_text(decided(app, message))
        assert job_states(app) == [JobState.QUEUED]


def test_reject_asks_for_a_reason_then_edits_the_message_and_tells_the_thread(running_app):
    message = requested(running_app)
    opened = len(running_app.fake.calls_to("views.open"))

    press(running_app, message, REJECT, APPROVER)
    view_id, view = opened_view(running_app, opened)
    reason = next(b for b in view["blocks"] if b["type"] == "input")
    assert reason.get("optional", False) is False
    assert current(running_app, message) == message  # nothing decided before the reason

    reply = running_app.send.submit(view_id, APPROVER, {"reason": "Wrong <order>"})

    assert (reply.status, reply.body) == (200, "")
    edited = decided(running_app, message)
    assert buttons(edited) == []
    text = view_text(edited)
    assert "*Resync request #1* · Rejected" in text and "*Reason:* Wrong &lt;order&gt;" in text
    assert f"*Rejected by* <@{APPROVER}>" in text
    thread = running_app.fake.wait_for(lambda: running_app.fake.replies(APPROVALS, message["ts"]))
    assert thread[0]["text"].startswith(f"Rejected by <@{APPROVER}>: Wrong &lt;order&gt;")
    assert job_states(running_app) == [JobState.REJECTED]


def test_rejecting_a_request_approved_meanwhile_says_so_in_the_modal(running_app):
    message = requested(running_app)
    opened = len(running_app.fake.calls_to("views.open"))
    press(running_app, message, REJECT, APPROVER)
    view_id, _ = opened_view(running_app, opened)
    press(running_app, message, APPROVE, SECOND_APPROVER)
    decided(running_app, message)

    reply = running_app.send.submit(view_id, APPROVER, {"reason": "no"})

    assert reply.json["errors"]["reason"] == (f"Request #1 was already approved by "
                                              f"<@{SECOND_APPROVER}>; nothing more to do.")
    assert job_states(running_app) == [JobState.QUEUED]


def click_together(app, message: dict, users: list[str]) -> list:
    """Each user presses Approve at the same moment, on threads of their own."""
    replies = together(*[functools.partial(press, app, message, APPROVE, user)
                         for user in users])
    assert failures(replies) == []
    return replies


def test_two_approvers_at_once_give_one_decision_and_the_other_is_told_who_decided(
        running_app):
    message = requested(running_app)

    first, second = click_together(running_app, message, [APPROVER, SECOND_APPROVER])

    told = running_app.fake.wait_for(
        lambda: [r for r in (first, second) if running_app.fake.posted_to(r.response_url)])
    assert len(told) == 1
    loser = told[0]
    winner = APPROVER if loser is second else SECOND_APPROVER
    assert said_to(running_app, loser) == (f"Request #1 was already approved by <@{winner}>; "
                                           "nothing more to do.")
    assert f"*Approved by* <@{winner}>" in view_text(decided(running_app, message))
    with running_app.uow() as uow:
        assert uow.requests.get(1).decided_by == winner
    assert job_states(running_app) == [JobState.QUEUED]
    running_app.fake.wait_for(lambda: running_app.fake.replies(APPROVALS, message["ts"]))
    assert len(running_app.fake.replies(APPROVALS, message["ts"])) == 1


def test_a_double_click_on_approve_gives_one_decision(running_app):
    message = requested(running_app)

    clicks = click_together(running_app, message, [APPROVER, APPROVER])

    decided(running_app, message)
    told = running_app.fake.wait_for(
        lambda: [r for r in clicks if running_app.fake.posted_to(r.response_url)])
    assert [said_to(running_app, r) for r in told] == [
        f"Request #1 was already approved by <@{APPROVER}>; nothing more to do."]
    with running_app.uow() as uow:
        request = uow.requests.get(1)
        assert (request.decision, request.decided_by) == (Decision.APPROVED, APPROVER)
    # both listeners have answered (the loser was told), so nothing more is coming
    running_app.fake.wait_for(lambda: running_app.fake.replies(APPROVALS, message["ts"]))
    assert len(running_app.fake.replies(APPROVALS, message["ts"])) == 1
    assert len(running_app.fake.calls_to("chat.update")) == 1
    assert job_states(running_app) == [JobState.QUEUED]
