"""`cancelbot console` driven through its standard input, on the demo database.

Most tests type at a Terminal (tests/cli/console_terminal.py) and read each answer before the
next line; others pipe a whole script in at once, as `printf ... | cancelbot console` does.
"""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from bot.cli import main
from bot.composition import build_app
from bot.config import Settings
from bot.console.door import Door
from bot.console.session import refusal
from bot.console.workspace import Workspace
from handlers.slack_client import make_web_client
from tests.cli.conftest import Run, Stored
from tests.cli.console_terminal import Terminal

SUPPORT, APPROVER = "U0SUPPORT1", "U0APPROVER"
UNSET = ("CANCELBOT_APPROVERS", "CANCELBOT_APPROVAL_CHANNEL", "CANCELBOT_ALLOW_SELF_APPROVAL",
         "CANCELBOT_SITES_NOT_READY", "CANCELBOT_TIMEZONE", "SALES_SITE_API_URL",
         "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL")


@pytest.fixture
def demo_db(cancelbot: Callable[..., Run], monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo data set in the test database, and an environment without console settings."""
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CANCELBOT_POLL_SECONDS", "0.2")
    assert cancelbot("demo-data").status == 0


@pytest.fixture
def console(demo_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Terminal]:
    """`cancelbot console` on the demo database at a Terminal (started by the test's first use,
    once pytest's own capture of sys.stdout is in place)."""
    terminal = Terminal(monkeypatch)
    yield terminal
    terminal.stop()


def scripted(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             *lines: str) -> Run:
    """`printf 'LINES' | cancelbot console`: every line ready at once."""
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    status = main(["console"])
    captured = capsys.readouterr()
    return Run(status, captured.out, captured.err)


def number_of(label: str, shown: str) -> str:
    """The number the console gave the last button labelled label."""
    found = re.findall(rf"\[(\d+)\] {re.escape(label)}\b", shown)
    assert found, f"no [n] {label} button in:\n{shown}"
    return found[-1]


def thread_replies(shown: str, request_no: str) -> list[str]:
    """The replies the console showed in a request's thread, each up to its blank line."""
    heading = f"── #approvals · thread of request #{request_no} ──\n"
    return [part.split("\n\n── ")[0] for part in shown.split(heading)[1:]]


def test_resync_requested_and_approved_in_the_console_ends_with_the_new_number_in_the_thread(
    console: Terminal, stored: Stored,
) -> None:
    greeting = console.shown()
    card = console.type("/cancelled QSPDEMO01")
    assert "QSPDEMO01 · Resync Available" in card
    assert f"only {SUPPORT} sees this" in card

    modal = console.type(number_of("Request resync", card))
    assert "modal: Request resync" in modal
    assert modal.endswith("Note for the approver (optional): ")

    posted = console.type("Seller asked us to ship after all")
    assert "#approvals · new message" in posted
    request_no = re.search(r"Resync request #(\d+)", posted).group(1)
    assert "Note: Seller asked us to ship after all" in posted

    assert console.type(f"as {APPROVER}") == \
        f"as {APPROVER}\nYou are now {APPROVER} (an approver).\n> "
    console.type(number_of("Approve", posted))
    console.type("wait")

    new_no = stored.order("QSPDEMO01").superseded_by
    assert new_no
    result = thread_replies(console.shown(), request_no)[-1]
    assert result.startswith("Resynced")
    assert new_no in result.split("\n\n")[0]
    assert APPROVER in greeting


def test_a_whole_script_piped_in_runs_from_lookup_to_the_result_in_the_thread(
    demo_db: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    stored: Stored,
) -> None:
    run = scripted(monkeypatch, capsys, "/cancelled QSPDEMO02", "1", "", f"as {APPROVER}", "2",
                   "wait", "quit")

    assert run.status == 0
    out = run.out
    assert out.index("QSPDEMO02 · Recoverable") < out.index("Restore request #") \
        < out.index("You are now U0APPROVER") < out.index("> wait")
    assert "[2] Approve  [3] Reject" in out
    request_no = re.search(r"Restore request #(\d+)", out).group(1)
    result = thread_replies(out, request_no)[-1]
    assert result.startswith("Recovered")
    assert "QSPDEMO02" in result.split("\n\n")[0]
    assert out.rstrip().endswith("Bye.")


def test_an_unknown_console_command_says_where_to_find_the_commands(
    demo_db: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    run = scripted(monkeypatch, capsys, "approve everything")

    assert "Unknown console command 'approve'. Type /cancelled help for what the bot " \
           "answers, or help for the console's commands." in run.out
    assert run.status == 0


def test_a_button_number_that_was_never_shown_is_refused_politely(
    demo_db: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    run = scripted(monkeypatch, capsys, "3", "/cancelled QSPDEMO01", "7")

    assert "There is no button [3]; no message with buttons has been shown yet." in run.out
    assert "There is no button [7]; the buttons shown so far are numbered 1 to 1." in run.out


def test_help_lists_the_console_commands(
    demo_db: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    out = scripted(monkeypatch, capsys, "help").out

    for command in ("/cancelled TEXT", "NUMBER", "as USER_ID", "wait [SECONDS]", "quit"):
        assert f"\n  {command}" in out


def test_an_empty_reason_closes_the_reject_modal_and_leaves_the_request_waiting(
    console: Terminal,
) -> None:
    card = console.type("/cancelled QSPDEMO02")
    posted = console.type(number_of("Request restore", card))
    posted = console.type("")
    console.type(f"as {APPROVER}")

    modal = console.type(number_of("Reject", posted))
    assert "modal: Reject request #" in modal
    closed = console.type("")
    assert "is required; the modal was closed without sending." in closed
    assert "(modal closed; nothing was sent)" in closed
    assert "Rejected" not in closed

    approved = console.type(number_of("Approve", posted))
    assert "Approved by @U0APPROVER" in approved


def test_a_request_made_meanwhile_by_another_agent_shows_in_the_open_modal_and_asks_again(
    console: Terminal,
) -> None:
    card = console.type("/cancelled QSPDEMO02")
    console.type(number_of("Request restore", card))
    other = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--as", "U0SUPPORT2"],
        input="/cancelled QSPDEMO02\n1\n\n", capture_output=True, text=True, timeout=60,
        env=dict(os.environ),
    )
    assert "Restore request #" in other.stdout

    again = console.type("Buyer called back")

    assert "  ! Note for the approver: " in again
    assert "already waiting for approval" in again
    assert again.endswith("Note for the approver (optional): ")
    assert "(modal closed; nothing was sent)" in console.type("cancel")


def test_a_note_longer_than_the_input_takes_is_asked_again(console: Terminal) -> None:
    card = console.type("/cancelled QSPDEMO02")
    console.type(number_of("Request restore", card))

    again = console.type("x" * 501)

    assert "At most 500 characters, please (that was 501)." in again
    assert again.endswith("Note for the approver (optional): ")


def test_a_click_by_somebody_who_may_not_approve_is_answered_to_them_only(
    console: Terminal,
) -> None:
    card = console.type("/cancelled QSPDEMO02")
    console.type(number_of("Request restore", card))
    posted = console.type("")

    refused = console.type(number_of("Approve", posted))

    assert f"only {SUPPORT} sees this" in refused
    assert "Approved by" not in refused


def test_the_lists_buttons_page_through_the_orders(console: Terminal) -> None:
    first = console.type("/cancelled list api")
    assert "page 1 of" in first

    second = console.type(number_of("Next", first))

    assert "page 2 of" in second
    assert "replaces the previous one" in second


def test_as_refuses_what_is_not_a_slack_user_id(
    demo_db: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    out = scripted(monkeypatch, capsys, "as approver", "as").out

    assert "'approver' is not a Slack user ID (they start with U or W), e.g. as U0APPROVER." in out
    assert f"You are {SUPPORT}." in out


def test_the_end_of_the_input_leaves_cleanly(
    demo_db: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    run = scripted(monkeypatch, capsys)

    assert run.status == 0
    assert run.out.rstrip().endswith("Bye.")
    assert "Approvers: U0APPROVER." in run.out


def test_the_app_behind_the_console_still_refuses_requests_not_signed_with_its_secret(
    db_url: str,
) -> None:
    settings = Settings(database_url=db_url, slack_signing_secret="the-app-secret")
    app = build_app(settings, lambda: None, make_web_client("xoxb-x", "http://127.0.0.1:9/"))  # type: ignore[arg-type, return-value]

    answer = Door(app, "another-secret", Workspace()).command(SUPPORT, "C0SUPPORT", "help")

    assert answer.status == 401
    assert refusal(answer) == (
        "The app refused the request: its signature did not verify (HTTP 401).")


def test_the_home_tab_shows_a_waiting_request_whose_approve_works_from_there(
    console: Terminal,
) -> None:
    card = console.type("/cancelled QSPDEMO01")
    console.type(number_of("Request resync", card))
    posted = console.type("")
    request_no = re.search(r"Resync request #(\d+)", posted).group(1)
    console.type(f"as {APPROVER}")

    home = console.type("home")

    assert f"── Home tab of {APPROVER} (published when it is opened) ──" in home
    assert "== Waiting for your approval ==" in home
    assert f"Resync request #{request_no} · awaiting approval · `QSPDEMO01`" in home
    assert re.search(r"Requested by @\w+ on \d{4}-\d{2}-\d{2} \d{2}:\d{2} KST", home)
    decided = console.type(number_of("Approve", home))
    assert "#approvals · message edited" in decided
    assert "No request is waiting for your approval." in decided


def test_the_shortcut_on_pasted_text_shows_the_cards_of_its_packing_numbers(
    demo_db: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    run = scripted(monkeypatch, capsys, "shortcut seller asks about qspdemo01 and QSPDEMO02",
                   "shortcut good morning", "quit")

    assert run.status == 0
    assert "2 packing numbers in that message:" in run.out
    assert "QSPDEMO01 · Resync Available" in run.out and "QSPDEMO02 · Recoverable" in run.out
    assert "[1] Request resync  " in run.out or "[1] Request resync\n" in run.out
    assert "That message names no packing number cancelbot knows" in run.out
