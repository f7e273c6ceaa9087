"""Requests, jobs and the leases workers claim them with: what every unit of work does alike."""
from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import ActiveRequestExists
from domain.model import Action
from domain.requests import Decision, Job, JobState, Request
from domain.workflow import ApprovalPolicy, approve, submit_request
from tests.integration.builders import NOW, add_orders, cancelled, ctx

LEASE = timedelta(seconds=60)
UNTIL = NOW + LEASE
POLICY = ApprovalPolicy(is_approver=lambda user: user.startswith("UAPPROVER"))


def requested(uow, count: int, approved: bool = True) -> list[Job]:
    """One request per new cancelled order, approved (jobs queued) unless told otherwise."""
    orders = add_orders(uow, *[cancelled(f"QSP2611250{n:03d}") for n in range(count)])
    jobs = []
    for order in orders:
        with uow() as u:
            submitted = submit_request(u, [order.packing_no], Action.RESYNC, "UREQUESTER", "",
                                       ctx())
        if approved:
            with uow() as u:
                approve(u, submitted.request.stored_id, "UAPPROVER", NOW, POLICY)
        with uow() as u:
            jobs.append(u.jobs.get(submitted.jobs[0].id))
    return jobs


def claim(uow, owner: str, limit: int = 10, now=NOW) -> list[Job]:
    with uow() as u:
        jobs = u.jobs.claim(owner, now, now + LEASE, limit)
        u.commit()
    return jobs


def job(uow, job_id: int) -> Job:
    with uow() as u:
        return u.jobs.get(job_id)


# -- requests -------------------------------------------------------------------------------

def test_a_request_reads_back_with_the_id_it_was_given(uow):
    with uow() as u:
        stored = u.requests.add(Request(Action.RESTORE, "UREQUESTER", NOW, "seller asked"))
        u.commit()
    with uow() as u:
        got = u.requests.get(stored.id)
    assert got == stored and got.id is not None
    assert (got.action, got.note, got.decision) == (Action.RESTORE, "seller asked",
                                                    Decision.PENDING)


def test_a_decision_is_written_only_while_the_request_is_pending(uow):
    with uow() as u:
        pending = u.requests.add(Request(Action.RESYNC, "UREQUESTER", NOW))
        u.commit()
    approved = pending.decide(Decision.APPROVED, "UAPPROVER1", NOW)
    rejected = pending.decide(Decision.REJECTED, "UAPPROVER2", NOW, "no")

    with uow() as u:
        assert u.requests.decide(approved) is True
        assert u.requests.decide(rejected) is False
        u.commit()

    with uow() as u:
        assert (u.requests.get(pending.id).decision, u.requests.get(pending.id).decided_by) == (
            Decision.APPROVED, "UAPPROVER1")


def test_recording_the_request_message_keeps_a_decision_written_meanwhile(uow):
    with uow() as u:
        pending = u.requests.add(Request(Action.RESYNC, "UREQUESTER", NOW))
        u.requests.decide(pending.decide(Decision.APPROVED, "UAPPROVER", NOW))
        assert u.requests.set_message(pending.id, "C0APPROVALS", "1764118801.000001") is True
        assert u.requests.set_message(pending.id + 1000, "C0APPROVALS", "1.000002") is False
        u.commit()
    with uow() as u:
        got = u.requests.get(pending.id)
    assert (got.decision, got.channel_id, got.message_ts) == (
        Decision.APPROVED, "C0APPROVALS", "1764118801.000001")


def test_unposted_requests_are_the_pending_ones_without_a_message_made_before_a_time(uow):
    with uow() as u:
        made = [u.requests.add(Request(Action.RESYNC, f"U{n}", NOW + timedelta(minutes=n)))
                for n in range(5)]
        u.requests.set_message(made[1].id, "C0APPROVALS", "1.000001")  # posted
        u.requests.decide(made[2].decide(Decision.REJECTED, "UAPPROVER", NOW))  # decided
        u.commit()

    with uow() as u:
        before_the_last = u.requests.unposted(NOW + timedelta(minutes=4))
        first_only = u.requests.unposted(NOW + timedelta(hours=1), limit=1)

    assert [r.id for r in before_the_last] == [made[0].id, made[3].id]
    assert [r.id for r in first_only] == [made[0].id]


# -- jobs -----------------------------------------------------------------------------------

def test_an_order_with_an_active_job_takes_no_second_and_the_refusal_names_its_request(uow):
    first, = requested(uow, 1, approved=False)
    second = Job(first.request_id + 1, first.order_id, first.packing_no, Action.RESYNC)

    with uow() as u, pytest.raises(ActiveRequestExists) as refused:
        u.jobs.add(second)

    assert refused.value.packing_no == first.packing_no
    assert f"(request #{first.request_id})" in refused.value.message
    with uow() as u:
        assert [j.id for j in u.jobs.for_order(first.order_id)] == [first.id]


def test_jobs_are_found_by_request_order_and_state_oldest_first(uow):
    jobs = requested(uow, 3)
    with uow() as u:
        assert u.jobs.for_request(jobs[1].request_id) == [jobs[1]]
        assert u.jobs.for_order(jobs[2].order_id) == [jobs[2]]
        assert [j.id for j in u.jobs.in_states((JobState.QUEUED,))] == [j.id for j in jobs]
        assert [j.id for j in u.jobs.in_states((JobState.QUEUED,), limit=2)] == [
            j.id for j in jobs[:2]]
        assert u.jobs.in_states((JobState.RUNNING,)) == []


def test_a_claim_leases_the_oldest_queued_jobs_and_counts_an_attempt(uow):
    first, second, third = requested(uow, 3)

    claimed = claim(uow, "w1", limit=2)

    assert [(j.id, j.state, j.attempts) for j in claimed] == [
        (first.id, JobState.RUNNING, 1), (second.id, JobState.RUNNING, 1)]
    assert job(uow, third.stored_id).state is JobState.QUEUED
    assert [j.id for j in claim(uow, "w2")] == [third.id]
    assert claim(uow, "w3") == []


def test_a_claim_whose_lease_ends_before_it_is_refused(uow):
    with uow() as u, pytest.raises(ValueError, match="lease must end after"):
        u.jobs.claim("w1", NOW, NOW, 1)


def test_only_the_worker_holding_a_lease_renews_it(uow):
    leased, = requested(uow, 1)
    claim(uow, "w1")

    with uow() as u:
        assert u.jobs.renew(leased.id, "w2", UNTIL + LEASE) is False
        assert u.jobs.renew(leased.id, "w1", UNTIL + LEASE) is True
        u.jobs.update(job(uow, leased.stored_id).succeed("QSP2611260001", NOW))
        u.commit()

    with uow() as u:  # a finished job has no lease left to renew
        assert u.jobs.renew(leased.id, "w1", UNTIL + 2 * LEASE) is False


def test_a_released_job_is_queued_again_without_the_attempt_and_can_be_claimed(uow):
    leased, = requested(uow, 1)
    claim(uow, "w1")

    with uow() as u:
        assert u.jobs.release(leased.id, "w2") is False
        assert u.jobs.release(leased.id, "w1") is True
        u.commit()

    back = job(uow, leased.stored_id)
    assert (back.state, back.attempts) == (JobState.QUEUED, 0)
    with uow() as u:
        assert u.jobs.release(leased.id, "w1") is False  # not held any more
    assert [j.id for j in claim(uow, "w2")] == [leased.id]


def test_only_jobs_whose_lease_ran_out_are_queued_again(uow):
    early, late = requested(uow, 2)
    claim(uow, "w1", limit=1)
    claim(uow, "w2", limit=1, now=NOW + timedelta(seconds=30))

    with uow() as u:
        assert u.jobs.reclaim_expired(UNTIL - timedelta(seconds=1)) == []
        reclaimed = u.jobs.reclaim_expired(UNTIL)
        u.commit()

    assert [(j.id, j.state, j.attempts) for j in reclaimed] == [(early.id, JobState.QUEUED, 1)]
    assert job(uow, late.stored_id).state is JobState.RUNNING
    with uow() as u:
        assert u.jobs.renew(late.id, "w2", UNTIL + LEASE) is True
        assert u.jobs.renew(early.id, "w1", UNTIL + LEASE) is False


def test_a_running_job_is_locked_for_its_holder_or_for_anyone_when_no_owner_is_named(uow):
    leased, queued = requested(uow, 2)
    claim(uow, "w1", limit=1)

    with uow() as u:
        assert u.jobs.lock_running(leased.id, "w1").id == leased.id
        assert u.jobs.lock_running(leased.id).id == leased.id
        assert u.jobs.lock_running(leased.id, "w2") is None
        assert u.jobs.lock_running(queued.id) is None


# -- what the App Home lists ----------------------------------------------------------------

def test_requests_awaiting_a_decision_are_the_posted_pending_ones_oldest_first(uow):
    orders = add_orders(uow, *[cancelled(f"QSP2611240{n:03d}") for n in range(4)])
    ids = []
    for index, order in enumerate(orders):
        with uow() as u:
            submitted = submit_request(u, [order.packing_no], Action.RESYNC, "UREQUESTER", "",
                                       ctx(NOW + timedelta(minutes=10 - index)))
            ids.append(submitted.request.stored_id)
        if index != 3:  # the last one's message was never posted
            with uow() as u:
                u.requests.set_message(ids[-1], "C0APPROVALS", f"1764118800.00000{index}")
                u.commit()
    with uow() as u:
        approve(u, ids[0], "UAPPROVER", NOW, POLICY)

    with uow() as u:
        waiting = u.requests.awaiting_decision()

    assert [r.id for r in waiting] == [ids[2], ids[1]]


def test_requests_in_flight_are_the_users_own_with_an_active_job_newest_first(uow):
    orders = add_orders(uow, *[cancelled(f"QSP2611240{n:03d}") for n in range(3)])
    ids = []
    for index, (order, who) in enumerate(zip(orders, ["UREQUESTER", "UOTHER", "UREQUESTER"],
                                             strict=True)):
        with uow() as u:
            submitted = submit_request(u, [order.packing_no], Action.RESYNC, who, "",
                                       ctx(NOW + timedelta(minutes=index)))
            ids.append(submitted.request.stored_id)
    with uow() as u:
        [first_job] = u.jobs.for_request(ids[0])
        u.jobs.update(first_job.moved(JobState.QUEUED).moved(JobState.RUNNING)
                      .succeed("QSP2611260001", NOW))
        u.commit()

    with uow() as u:
        mine = u.requests.in_flight_for("UREQUESTER")

    assert [r.id for r in mine] == [ids[2]]
