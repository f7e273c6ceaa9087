"""docs/openapi/order-feed.yaml is the contract the code and the stand-in keep: its record has
the columns cancelbot reads, cancelbot's requests carry what it asks for, and the stand-in's
pages validate."""
from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from bot.feed_polling import MAX_PAGES, PAGE_SIZE
from store.feed_records import FEED_COLUMNS
from store.order_feed_http import MAX_CURSOR_CHARS, HttpOrderFeed
from tests.order_feed import TOKEN, OrderFeedStandIn, record

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "openapi" / "order-feed.yaml"
DOC = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
SCHEMAS = DOC["components"]["schemas"]


def validator(schema_name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{schema_name}",
                                 "components": DOC["components"]})


@pytest.fixture
def feed() -> Iterator[OrderFeedStandIn]:
    with OrderFeedStandIn() as running:
        yield running


def test_the_contracts_record_has_exactly_the_columns_cancelbot_reads():
    assert list(SCHEMAS["OrderRecord"]["properties"]) == list(FEED_COLUMNS)
    assert "updated_at" in SCHEMAS["OrderRecord"]["required"]
    assert SCHEMAS["Cursor"]["maxLength"] == MAX_CURSOR_CHARS


def test_the_contract_names_the_settings_and_the_bearer_token():
    assert DOC["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for name in ("CANCELBOT_ORDER_FEED_URL", "CANCELBOT_ORDER_FEED_TOKEN",
                 "CANCELBOT_FEED_SECONDS"):
        assert name in DOC["info"]["description"]
    names = {p["name"] for p in DOC["paths"]["/"]["get"]["parameters"]}
    assert names == {"since", "limit"}


def test_the_stand_ins_pages_and_the_contracts_examples_validate(feed):
    feed.publish(record("QSP1"), record("QSP2", state="active", stage="pickup",
                                        cancelled_at=None, cancelled_by=""))
    page = validator("Page")
    for since in ("", "r1"):
        request = urllib.request.Request(f"{feed.url}?since={since}&limit=1",
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=5) as answer:
            page.validate(json.load(answer))
    examples = DOC["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]
    for example in examples["examples"].values():
        page.validate(example["value"])


def test_what_cancelbot_asks_for_is_what_the_contract_describes(feed):
    HttpOrderFeed(feed.url, TOKEN).page("r0", PAGE_SIZE)

    [call] = feed.calls()
    limit = next(p for p in DOC["paths"]["/"]["get"]["parameters"] if p["name"] == "limit")
    assert set(call.query) == {"since", "limit"}
    assert limit["schema"]["minimum"] <= int(call.query["limit"]) <= limit["schema"]["maximum"]
    description = " ".join(DOC["info"]["description"].split())
    assert f"`limit` is {PAGE_SIZE} today" in description
    assert f"at most {MAX_PAGES} pages a tick" in description
