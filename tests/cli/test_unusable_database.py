"""Every `cancelbot` command that opens the database, given one it cannot use: one plain line
and status 1, never a traceback, never the SQL or its parameters."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from tests.cli.conftest import ORDERS_HEADER, Run
from tests.integration.test_worker_processes import DEADLINE, ROOT

NOBODY_LISTENS = "postgresql+psycopg://postgres@127.0.0.1:1/x"  # port 1: refused at once
SERVER_FIX = "check DATABASE_URL and that the database server is running."
FOLDER_FIX = "check DATABASE_URL and that the SQLite file's folder exists."


@pytest.fixture
def cancelbot_on(monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """`cancelbot ARGS...` with DATABASE_URL set to url."""

    def run(url: str, *argv: str) -> Run:
        monkeypatch.setenv("DATABASE_URL", url)
        capsys.readouterr()
        status = main(list(argv))
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run


def _commands(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    """Each command, and the verb its one line starts with."""
    (orders := tmp_path / "orders.csv").write_text(
        ORDERS_HEADER + "\nACC000001,s-1,tmon,SO-1,manual,active,waybill,,,,Hong Gildong,socks\n")
    return {
        "db upgrade": (["db", "upgrade"], "Cannot upgrade the database"),
        "show": (["show", "QSP2611260001"], "Cannot read the database"),
        "list": (["list", "api"], "Cannot read the database"),
        "history": (["history", "QSP2611260001"], "Cannot read the database"),
        "jobs": (["jobs"], "Cannot read the database"),
        "import": (["import", "orders", str(orders)], "Cannot use the database"),
        "demo-data": (["demo-data"], "Cannot use the database"),
    }


COMMANDS = ["db upgrade", "show", "list", "history", "jobs", "import", "demo-data"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_database_server_nobody_answers_is_one_line_and_status_1(
        cancelbot_on, tmp_path, command):
    argv, starts = _commands(tmp_path)[command]

    run = cancelbot_on(NOBODY_LISTENS, *argv)

    assert (run.status, run.out) == (1, "")
    assert len(run.err.splitlines()) == 1
    assert run.err.startswith(f"{starts} (connection failed: ")
    assert SERVER_FIX in run.err
    assert "Hong Gildong" not in run.err


@pytest.mark.parametrize("command", COMMANDS)
def test_a_sqlite_file_in_a_missing_folder_is_one_line_and_status_1(
        cancelbot_on, tmp_path, command):
    argv, starts = _commands(tmp_path)[command]

    run = cancelbot_on(f"sqlite:///{tmp_path}/no/such/folder/x.sqlite3", *argv)

    assert (run.status, run.out) == (1, "")
    assert run.err.splitlines() == [
        f"{starts} (unable to open database file); {FOLDER_FIX}"
        + (" Nothing was imported." if command == "import" else "")]


def test_db_upgrade_as_a_real_process_prints_one_line_without_a_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"], cwd=ROOT, capture_output=True,
        text=True, timeout=DEADLINE, env={"PATH": "/usr/bin:/bin", "DATABASE_URL": NOBODY_LISTENS},
    )

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("Cannot upgrade the database (connection failed: ")
    assert len(done.stderr.splitlines()) == 1


def test_doctor_says_the_database_cannot_be_reached_and_what_to_check(cancelbot_on):
    run = cancelbot_on(NOBODY_LISTENS, "doctor")

    assert run.status == 1
    assert "FAIL database: cannot be reached (connection failed: " in run.out
    assert "     fix: check DATABASE_URL and that the database server is running\n" in run.out
    assert run.err == ""


@pytest.mark.parametrize(("url", "said"), [
    ("not a url", "DATABASE_URL is not a database URL; write sqlite:///FILE.sqlite3 or "
                  "postgresql+psycopg://USER@HOST/DATABASE"),
    ("postgresql+nodriver://admin:s3cret@db/x",
     "DATABASE_URL asks for postgresql+nodriver, which cancelbot cannot use; write "
     "sqlite:///FILE.sqlite3 or postgresql+psycopg://USER@HOST/DATABASE"),
])
@pytest.mark.parametrize("argv", [["db", "upgrade"], ["list"], ["demo-data"]])
def test_a_database_url_that_cannot_be_used_is_one_line_without_its_password(
        cancelbot_on, url, said, argv):
    run = cancelbot_on(url, *argv)

    assert (run.status, run.out, run.err) == (1, "", said + "\n")


def test_an_import_with_a_database_url_that_cannot_be_used_exits_2_as_for_any_setting(
        cancelbot_on, tmp_path):
    argv, _ = _commands(tmp_path)["import"]

    run = cancelbot_on("not a url", *argv)

    assert (run.status, run.out) == (2, "")
    assert run.err == ("configuration error: DATABASE_URL is not a database URL; write "
                       "sqlite:///FILE.sqlite3 or postgresql+psycopg://USER@HOST/DATABASE\n")
