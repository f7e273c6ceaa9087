"""`/cancelled list … export` in `cancelbot console`: the file the bot sends is saved and its
path printed."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from bot.cli import main
from tests.cli.test_console import demo_db  # noqa: F401 - the fixture


def test_an_export_in_the_console_prints_the_saved_files_path(
    demo_db: None, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("/cancelled list api export\nquit\n"))

    status = main(["console", "--exports", str(tmp_path)])

    out = capsys.readouterr().out
    assert status == 0
    sent = re.search(r"Sent (\d+) orders? as `(cancelled-deliveries-[\d-]+\.csv)`", out)
    saved = re.search(r"file (cancelled-deliveries-[\d-]+\.csv): saved to (\S+)", out)
    assert sent and saved, out
    assert "direct message to D0SUPPORT1" in out
    path = Path(saved.group(2))
    assert path.parent == tmp_path and path.name.endswith(sent.group(2))
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == int(sent.group(1)) > 0
    assert {r["category"] for r in rows} == {"Delivery Cancelled (Sales Site API)"}
