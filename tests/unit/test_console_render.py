"""The console shows Block Kit as readable text: what a person at the terminal would read."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.console.render import DIVIDER, clean_mrkdwn, plain_text, render_blocks, render_message
from handlers.render.mrkdwn import context, escape, mention, section, slack_date


def numbered() -> Any:
    """Numbers buttons 1, 2, 3... in the order the renderer meets them."""
    pressed: list[str] = []

    def number(element: dict[str, Any], block: dict[str, Any]) -> int:
        pressed.append(element["text"]["text"])
        return len(pressed)

    number.pressed = pressed  # type: ignore[attr-defined]
    return number


def button(label: str, action_id: str = "a", value: str = "v") -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": label},
            "action_id": action_id, "value": value}


def test_mentions_read_as_at_user() -> None:
    assert clean_mrkdwn(f"Requested by {mention('U0SUPPORT1')}") == "Requested by @U0SUPPORT1"
    assert clean_mrkdwn("<@U1|kim>") == "@kim"


def test_dates_read_as_their_fallback() -> None:
    at = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)

    assert clean_mrkdwn(f"on {slack_date(at, ZoneInfo('Asia/Seoul'))}") == "on 2026-11-26 10:00 KST"


def test_escaped_characters_read_as_themselves_and_are_not_taken_for_mentions() -> None:
    assert clean_mrkdwn(escape("a <@U1> & b > c")) == "a <@U1> & b > c"


def test_bold_marks_are_dropped_by_default_and_can_be_styled() -> None:
    assert clean_mrkdwn("*QSPDEMO01* · *Resync Available*") == "QSPDEMO01 · Resync Available"
    assert clean_mrkdwn("*Note:* x", bold=lambda s: f"<{s}>") == "<Note:> x"


def test_bold_marks_inside_words_and_numbers_are_left_alone() -> None:
    assert clean_mrkdwn("2*3*4 and snake_case_name") == "2*3*4 and snake_case_name"


def test_links_channels_groups_and_broadcasts_read_plainly() -> None:
    text = ("<https://example.com/a|the request> <https://example.com/b> <#C0APPROVALS|approvals>"
            " <!subteam^S0APPROVERS|@approvers> <!here>")

    assert clean_mrkdwn(text) == ("the request (https://example.com/a) https://example.com/b "
                                  "#approvals @approvers @here")


def test_known_emoji_read_as_symbols_and_unknown_ones_stay_as_written() -> None:
    assert clean_mrkdwn(":warning: late :tada:") == "⚠ late :tada:"


def test_a_section_with_fields_reads_as_labelled_lines() -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*QSPDEMO01* · *Resynced*"},
               "fields": [{"type": "mrkdwn", "text": "*Seller*\nhanbit-mall"},
                          {"type": "mrkdwn", "text": "*Sales site*\ntmon\norder TM1"},
                          {"type": "plain_text", "text": "no label"}]}]

    assert render_blocks(blocks, numbered()) == [
        "QSPDEMO01 · Resynced", "  Seller: hanbit-mall", "  Sales site: tmon · order TM1",
        "  no label",
    ]


def test_headers_dividers_and_context_read_apart_from_the_text() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Cancelled deliveries"}},
        {"type": "divider"}, section("Body"), context("page 1 of 5\nsecond line")]

    assert render_blocks(blocks, numbered()) == [
        "== Cancelled deliveries ==", DIVIDER, "Body", "  page 1 of 5", "  second line",
    ]


def test_buttons_are_numbered_in_reading_order_on_one_line_per_actions_block() -> None:
    number = numbered()
    blocks = [{**section("Page 1"), "accessory": button("Next")},
              {"type": "actions", "elements": [button("Approve"), button("Reject")]}]

    assert render_blocks(blocks, number) == ["Page 1", "[1] Next", "[2] Approve  [3] Reject"]
    assert number.pressed == ["Next", "Approve", "Reject"]


def test_as_plain_text_buttons_read_as_their_labels_in_brackets_without_numbers() -> None:
    blocks = [{**section("*Page 1*"), "accessory": button("Next")},
              {"type": "actions",
               "elements": [button("Request resync"), button("Request restore")]}]

    assert plain_text(blocks) == "Page 1\n[Next]\n[Request resync]  [Request restore]"


def test_elements_the_console_cannot_use_say_so_instead_of_disappearing() -> None:
    select = {"type": "static_select", "action_id": "s",
              "placeholder": {"type": "plain_text", "text": "Pick a site"}}

    lines = render_blocks([{"type": "actions", "elements": [select, button("Go")]}], numbered())

    assert lines == ["(Pick a site: not available in the console)  [1] Go"]


def test_a_message_without_blocks_reads_as_its_text() -> None:
    message = {"text": "Only the configured approvers can approve &amp; reject."}

    assert render_message(message, numbered()) == [
        "Only the configured approvers can approve & reject."]


def test_rich_text_reads_as_its_words() -> None:
    block = {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
        {"type": "text", "text": "Hi "}, {"type": "user", "user_id": "U1"},
        {"type": "emoji", "name": "warning"}]}]}

    assert render_blocks([block], numbered()) == ["Hi @U1⚠"]


def test_unknown_blocks_are_skipped() -> None:
    assert render_blocks([{"type": "video", "title": "x"}, section("after")], numbered()) == [
        "after"]
