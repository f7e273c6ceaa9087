"""`/cancelled list [filters] export` over signed HTTP: the whole filtered list as a CSV file in
the typist's direct message, through Slack's external upload at the fake Slack's wire."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from bot.console.files import FileShelf
from domain.export import COLUMNS
from domain.model import Origin
from tests.integration.builders import NOW, add_orders, cancelled
from tests.slack.scenarios import REQUESTER

DM = FileShelf.dm_channel(REQUESTER)


def exported(running_app, filters: str) -> tuple[list[dict], str]:
    """Type `/cancelled list FILTERS export`: every answer at the response URL, in order, once
    the last one came, and that URL. The acknowledgement itself says nothing."""
    reply = running_app.send.command(f"list {filters} export".strip(), REQUESTER)
    assert (reply.status, reply.body) == (200, "")
    posted = running_app.fake.wait_for(
        lambda: [b for b in running_app.fake.posted_to(reply.response_url)
                 if not b["text"].startswith(":hourglass")])
    assert len(posted) == 1
    return running_app.fake.posted_to(reply.response_url), reply.response_url


def rows_of(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets read UTF-8 by its byte-order mark
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_export_sends_every_matching_order_as_csv_to_the_typists_direct_message(running_app):
    add_orders(running_app.uow, *[
        cancelled(f"QSP26112300{n:02d}", cancelled_at=NOW - timedelta(hours=n))
        for n in range(1, 26)
    ], cancelled("ACC000001", origin=Origin.EXCEL))

    answers, _ = exported(running_app, "api")

    assert answers[-1]["response_type"] == "ephemeral"
    assert answers[-1]["text"].startswith(":page_facing_up: Sent 25 orders as `cancelled-")
    opened, = running_app.fake.calls_to("conversations.open")
    assert opened.params["users"] == REQUESTER
    reserved, = running_app.fake.calls_to("files.getUploadURLExternal")
    completed, = running_app.fake.calls_to("files.completeUploadExternal")
    assert completed.params["channel_id"] == DM
    assert "Cancelled deliveries (`list api`): 25 orders." in completed.params["initial_comment"]
    shared, = running_app.fake.shared_files
    assert (shared.channel, shared.filename) == (DM, reserved.params["filename"])
    assert int(reserved.params["length"]) == len(shared.content)
    rows = rows_of(shared.content)
    assert list(rows[0]) == list(COLUMNS)
    # every page, newest cancellation first, as the list shows them
    assert [r["packing_no"] for r in rows] == [f"QSP26112300{n:02d}" for n in range(1, 26)]
    assert rows[0]["status"] == "Resync Available"
    assert rows[0]["cancelled_at"] == "2026-11-26T09:00:00+09:00"
    assert rows[0]["deadline"] == "2026-12-10T09:00:00+09:00"
    message, = [m for m in running_app.fake.messages[DM]]
    assert message["files"][0]["id"] == shared.id


def test_cells_a_spreadsheet_would_run_as_formulas_are_prefixed_with_a_quote(running_app):
    add_orders(running_app.uow, cancelled(
        "QSP2611230001", recipient='=HYPERLINK("http://evil.example","Kim")',
        items="+1 mug", seller_id="@seller", sales_order_no="-42"))

    exported(running_app, "")

    row, = rows_of(running_app.fake.shared_files[0].content)
    assert row["recipient"] == '\'=HYPERLINK("http://evil.example","Kim")'
    assert (row["items"], row["seller_id"], row["sales_order_no"]) == (
        "'+1 mug", "'@seller", "'-42")


def test_a_big_export_says_it_is_coming_before_the_file_arrives(running_app):
    many = [cancelled(f"QSP2611{n:06d}", cancelled_at=NOW - timedelta(minutes=n))
            for n in range(1, 1_003)]
    add_orders(running_app.uow, *many)

    answers, _ = exported(running_app, "")

    note, sent = answers
    assert note["text"].startswith(":hourglass_flowing_sand: Building a CSV file of 1,002 "
                                   "orders")
    assert sent["text"].startswith(":page_facing_up: Sent 1,002 orders")
    assert len(rows_of(running_app.fake.shared_files[0].content)) == 1_002


def test_an_upload_url_off_slacks_host_gets_nothing_and_the_typist_is_told(running_app):
    add_orders(running_app.uow, cancelled("QSP2611230001"))
    running_app.fake.on("files.getUploadURLExternal", lambda params: {
        "upload_url": "https://files.evil.example/upload/F1", "file_id": "F1"})

    answers, _ = exported(running_app, "")

    assert answers[-1]["text"].startswith(":warning: The CSV file could not be sent (upload "
                                          "URL not on Slack's host")
    assert running_app.fake.calls_to("files.completeUploadExternal") == []
    assert running_app.fake.shared_files == []


def test_an_export_with_a_bad_filter_or_no_match_sends_no_file(running_app):
    add_orders(running_app.uow, cancelled("QSP2611230001"))

    bad, _ = exported(running_app, "status:nonsense")
    none, _ = exported(running_app, "seller:nobody")

    assert "status" in bad[-1]["text"].lower()
    assert none[-1]["text"] == ("No cancelled order matches these filters: there is nothing to "
                                "export.")
    assert running_app.fake.calls_to("files.getUploadURLExternal") == []
