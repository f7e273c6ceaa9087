"""The App Home's use cases and the shortcut's reading of a message, on the in-memory store."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.errors import NotOnRequestMessage, SelfApprovalNotAllowed
from domain.home import approve_from_home, home_for
from domain.mentioned import candidates, look_up_mentioned
from domain.model import Action
from domain.requests import Decision
from domain.workflow import ApprovalPolicy
from tests.unit.fakes import (
    API_NO,
    EXCEL_NO,
    POLICY,
    T_DECIDE,
    T_SUBMIT,
    ctx,
    seeded_uow,
    submit,
)

MESSAGE = ("C0APPROVALS", "1764118800.000100")


def placed(uow: Any, packing_no: str, by: str = "U_REQ") -> int:
    """A request whose request message is recorded; its id."""
    action = Action.RESTORE if packing_no == EXCEL_NO else Action.RESYNC
    request_id = submit(uow, packing_no, action, by=by).request.stored_id
    uow.requests.set_message(request_id, *MESSAGE)
    return request_id


def test_an_approver_sees_others_requests_waiting_and_not_their_own():
    uow: Any = seeded_uow()
    theirs = placed(uow, API_NO)
    placed(uow, EXCEL_NO, by="U_APPROVER")

    home = home_for(uow, "U_APPROVER", ctx(T_DECIDE), POLICY)

    assert home.waiting is not None
    assert [line.request.id for line in home.waiting.items] == [theirs]
    assert [line.packing_nos for line in home.waiting.items] == [[API_NO]]
    assert [line.request.requested_by for line in home.mine.items] == ["U_APPROVER"]


def test_a_non_approver_has_no_waiting_part_and_sees_only_their_requests():
    uow: Any = seeded_uow()
    placed(uow, API_NO)

    home = home_for(uow, "U_REQ", ctx(T_DECIDE), POLICY)

    assert home.waiting is None
    assert [line.packing_nos for line in home.mine.items] == [[API_NO]]
    assert not home.mine.more


def test_more_than_the_limit_says_there_are_more():
    uow: Any = seeded_uow()
    placed(uow, API_NO)
    placed(uow, EXCEL_NO)

    home = home_for(uow, "U_APPROVER", ctx(T_DECIDE), POLICY, limit=1)

    assert home.waiting is not None and len(home.waiting.items) == 1 and home.waiting.more


def test_approve_from_home_checks_the_named_message_against_the_recorded_one():
    uow: Any = seeded_uow()
    request_id = placed(uow, API_NO)

    with pytest.raises(NotOnRequestMessage):
        approve_from_home(uow, request_id, ("C0APPROVALS", "1.2"), "U_APPROVER", T_DECIDE, POLICY)
    assert uow.requests.get(request_id).decision is Decision.PENDING

    approved = approve_from_home(uow, request_id, MESSAGE, "U_APPROVER", T_DECIDE, POLICY)
    assert approved.request.decision is Decision.APPROVED


def test_approve_from_home_refuses_a_request_whose_message_is_not_recorded():
    uow: Any = seeded_uow()
    request_id = submit(uow, API_NO).request.stored_id

    with pytest.raises(NotOnRequestMessage):
        approve_from_home(uow, request_id, MESSAGE, "U_APPROVER", T_DECIDE, POLICY)


def test_approve_from_home_keeps_every_check_of_the_message():
    uow: Any = seeded_uow()
    request_id = placed(uow, API_NO, by="U_APPROVER")
    strict = ApprovalPolicy(POLICY.is_approver, allow_self_approval=False)

    with pytest.raises(SelfApprovalNotAllowed):
        approve_from_home(uow, request_id, MESSAGE, "U_APPROVER", T_DECIDE, strict)


@pytest.mark.parametrize("text, expected", [
    ("see qsp2611260001, ACC000001 and QSP2611260001 again", ["QSP2611260001", "ACC000001"]),
    ("<@U0ABC123|pat> asked about QSPDEMO01?", ["U0ABC123", "QSPDEMO01"]),
    ("on 2026-11-26 at 10:00, order 12345 was fine", []),
    ("words only, nothing else", []),
    ("QSP2611260001X9 is one word; QSP-2611 is two", ["QSP2611260001X9"]),
])
def test_words_of_letters_and_digits_are_the_candidates(text, expected):
    assert candidates(text) == expected


def test_only_packing_numbers_in_the_book_are_looked_up_and_the_rest_named():
    uow: Any = seeded_uow()

    found = look_up_mentioned(uow, f"{EXCEL_NO} NOTANORDER1 {API_NO}", ctx(T_SUBMIT), limit=1)

    assert [x.order.packing_no for x in found.shown] == [EXCEL_NO]
    assert found.more == [API_NO] and found.total == 2


def test_a_message_without_a_known_number_finds_nothing():
    found = look_up_mentioned(seeded_uow(), "hello team", ctx(T_SUBMIT - timedelta(hours=1)))

    assert found.shown == [] and found.total == 0
