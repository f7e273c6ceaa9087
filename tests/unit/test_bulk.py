"""Bulk requests from a list page: one request and one job per order that allows the action."""
from __future__ import annotations

import pytest

from domain.bulk import submit_bulk_request
from domain.errors import RequestNotAllowed
from domain.model import Action, Category, Origin, Recovery
from domain.ports import ListQuery
from domain.requests import JobState
from tests.unit.fakes import API_NO, T_SUBMIT, approve_as, cancelled, ctx, seeded_uow

MORE_API = ["QSP2611060011", "QSP2611060012"]


def bulk(uow, query=ListQuery(category=Category.API), action=Action.RESYNC):
    with uow:
        return submit_bulk_request(uow, query, action, "U_REQ", "all of them", ctx(T_SUBMIT))


def test_bulk_resync_makes_one_request_with_a_job_per_order_that_allows_it():
    uow = seeded_uow(*(cancelled(n) for n in MORE_API),
                     cancelled("QSP2611060013", recovery=Recovery.FAILED_RETRY),
                     cancelled("QSP2611060014", recovery=Recovery.IN_PROGRESS))

    result = bulk(uow)

    jobs = result.submitted.jobs
    assert sorted(j.packing_no for j in jobs) == sorted([API_NO, *MORE_API, "QSP2611060013"])
    assert {j.request_id for j in jobs} == {result.submitted.request.id}
    assert [(s.packing_no, "Resyncing" in s.reason) for s in result.skipped] == [
        ("QSP2611060014", True)]


def test_one_approval_queues_every_job_of_a_bulk_request():
    uow = seeded_uow(*(cancelled(n) for n in MORE_API))
    result = bulk(uow)

    approved = approve_as(uow, result.submitted.request.id)

    assert [j.state for j in approved.jobs] == [JobState.QUEUED] * 3


def test_bulk_restore_on_the_api_tab_says_none_can_be_restored_and_writes_nothing():
    uow = seeded_uow()
    refusal = "None of the 1 orders on this page can be restored"
    with pytest.raises(RequestNotAllowed, match=refusal):
        bulk(uow, action=Action.RESTORE)
    with uow:
        assert uow.orders.get(API_NO).recovery is Recovery.NONE


def test_bulk_request_skips_orders_already_waiting_for_approval():
    uow = seeded_uow(cancelled(MORE_API[0]))
    bulk(uow, ListQuery(category=Category.API, page_size=1))  # the newest one only

    second = bulk(uow)

    assert len(second.submitted.jobs) == 1
    assert [("waiting for approval" in s.reason) for s in second.skipped] == [True]


def test_bulk_request_bigger_than_a_page_is_refused():
    with pytest.raises(RequestNotAllowed, match="at most 100 orders"):
        bulk(seeded_uow(), ListQuery(page_size=101))


def test_bulk_restore_takes_the_excel_tab():
    uow = seeded_uow(cancelled("ACC000002", origin=Origin.EXCEL))
    result = bulk(uow, ListQuery(category=Category.EXCEL), Action.RESTORE)
    assert len(result.submitted.jobs) == 2 and result.skipped == []
