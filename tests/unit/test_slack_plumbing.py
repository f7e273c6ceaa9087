"""List-page button values and the error handler's words, without Slack or a database."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import pytest

from domain.errors import OrderNotFound
from domain.model import Category
from domain.ports import ListQuery
from domain.status import Status
from domain.window import business_tz
from handlers.actions import decode_query, encode_query
from handlers.errors import response_url_of, user_text

SEOUL = business_tz("Asia/Seoul")


def test_a_list_button_brings_back_exactly_the_filters_its_page_was_drawn_with() -> None:
    start = datetime(2026, 11, 19, tzinfo=SEOUL)
    query = ListQuery(category=Category.API, status=Status.FAILED_TO_RESYNC, seller="acme-01",
                      site="tmon", date_from=start, date_to=start + timedelta(days=7), page=3)
    value = encode_query(query)
    assert decode_query(value) == query
    assert len(value) < 2000  # Slack's limit for a button value


def test_an_unfiltered_first_page_fits_in_a_short_button_value() -> None:
    assert decode_query(encode_query(ListQuery())) == ListQuery()
    assert len(encode_query(ListQuery())) < 20


@pytest.mark.parametrize(
    "value", ["", "not json", "[1, 2]", '{"c": "parcel"}', '{"f": "yesterday"}'])
def test_a_button_value_that_is_not_a_list_query_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        decode_query(value)


def test_a_domain_refusal_reaches_the_user_in_its_own_words() -> None:
    assert user_text(OrderNotFound("QSP1")) == "No order has the packing number QSP1."


def test_a_surprise_shows_a_reference_that_the_log_has_next_to_the_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="cancelbot.slack"):
        text = user_text(KeyError("channel"))
    reference = text.split("reference ")[1].split(")")[0]
    assert "Something went wrong" in text and "KeyError" not in text
    record = caplog.records[-1]
    assert reference in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is KeyError


def test_a_modal_answers_through_the_response_url_it_was_opened_from() -> None:
    metadata = json.dumps({"response_url": "https://hooks.example/1"})
    assert response_url_of({"view": {"private_metadata": metadata}}) == "https://hooks.example/1"
    assert response_url_of({"response_url": "https://hooks.example/2"}) == "https://hooks.example/2"
    assert response_url_of({"view": {"private_metadata": "not json"}}) is None
