"""`cancelbot demo-data`: a realistic set with every status, written once into an empty database."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import cli
from domain.status import Status
from tests.cli.conftest import listed_counts as counts

NOW = "--now=2026-11-24T10:00:00+09:00"


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("CANCELBOT_TIMEZONE", "CANCELBOT_SITES_NOT_READY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main([*argv, NOW])
    out, err = capsys.readouterr()
    return status, out, err


def test_demo_data_lists_every_status_of_both_families_and_no_action(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "demo-data")
    assert status == 0
    assert "Try: cancelbot show QSPDEMO01" in out
    listed = counts(run(capsys, "list")[1])
    assert {s.label: listed.get(s.label, 0) > 0 for s in Status} == {s.label: True for s in Status}
    cancelled = sum(listed[label] for label in (
        "Delivery Cancelled (Sales Site API)", "Delivery Cancelled (Excel/Manual Registered)",
        "Sales Site Order Cancel"))
    assert 60 <= cancelled <= 150


def test_demo_data_showcase_orders_show_what_their_notes_promise(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "demo-data")
    near = run(capsys, "show", "QSPDEMO01")[1]
    assert re.search(r"\n  Time left: (\d{1,2}) hours? \d+ minutes?\n", near)
    assert "\n  ⚠ " in near and near.rstrip().endswith("[Request resync]")  # the warning
    assert "was resynced: the new packing number is QSP" in run(capsys, "show", "QSPDEMO04")[1]
    assert "duplicates: QSP" in run(capsys, "show", "QSPDEMO06")[1]
    assert "came back through a restore" in run(capsys, "show", "QSPDEMO07")[1]
    assert "is not cancelled" in run(capsys, "show", "QSPDEMO11")[1]


def test_demo_data_has_orders_near_and_past_the_end_of_their_window(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "demo-data")
    closed = counts(run(capsys, "list", "to:2026-11-09")[1])
    assert closed["Resync Unavailable"] > 0 and closed["Unrecoverable"] > 0
    # cancelled between 14 days and 12 days ago: under 48 hours left
    near = run(capsys, "list", "status:resync_available", "from:2026-11-10", "to:11/11")[1]
    assert counts(near)["Resync Available"] > 0
    rows = [line for line in near.splitlines() if line.startswith("`")]
    assert rows and all(row.endswith(" · Resync Available") for row in rows)


def test_demo_data_refuses_a_database_that_already_has_orders(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "demo-data")[0] == 0
    before = run(capsys, "list")[1]
    status, out, err = run(capsys, "demo-data")
    assert (status, out) == (1, "")
    assert "already has" in err and "--force" in err
    assert run(capsys, "list")[1] == before


def test_demo_data_with_force_adds_a_second_set_beside_the_first(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "demo-data")
    first = counts(run(capsys, "list")[1])
    status, out, _ = run(capsys, "demo-data", "--force")
    assert status == 0
    assert "Try: cancelbot show QSPDEMO01B" in out
    second = counts(run(capsys, "list")[1])
    assert second == {label: 2 * n for label, n in first.items()}


def test_demo_data_migrates_a_database_that_was_never_upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/fresh.sqlite3")
    assert run(capsys, "demo-data")[0] == 0
    assert "QSPDEMO08" in run(capsys, "list", "status:resync_unavailable")[1]
