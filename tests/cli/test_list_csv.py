"""`cancelbot list [filters] --csv FILE`: the whole filtered list written as the export's CSV."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from domain.export import COLUMNS
from domain.model import Origin
from tests.cli.test_inspect import (  # noqa: F401 - seeded is the fixture
    OPEN_API,
    cancelled,
    kst,
    run,
    seeded,
    writing,
)


def csv_rows(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    return list(csv.DictReader(io.StringIO(text)))


def listed_numbers(out: str) -> list[str]:
    return [line.split("`")[1] for line in out.splitlines() if line.startswith("`")]


def test_list_csv_writes_every_page_of_the_filtered_list(
    seeded: str, capsys: pytest.CaptureFixture[str], tmp_path: Path  # noqa: F811
) -> None:
    with writing(seeded) as uow:
        for n in range(12):
            uow.orders.add(cancelled(f"QSP26111500{n:02d}", Origin.EXCEL, kst(2026, 11, 15, n),
                                     recipient="=1+1" if n == 0 else "Kim"))
    target = tmp_path / "excel.csv"

    status, out, err = run(capsys, "list", "excel", "--csv", str(target))

    assert (status, err) == (0, "")
    rows = csv_rows(target)
    first_page = listed_numbers(run(capsys, "list", "excel")[1])
    assert [r["packing_no"] for r in rows][:len(first_page)] == first_page
    assert out.strip() == f"Wrote {len(rows)} orders to {target}."
    assert len(rows) > len(first_page) and {r["category"] for r in rows} == {
        "Delivery Cancelled (Excel/Manual Registered)"}
    assert next(r for r in rows if r["packing_no"] == "QSP2611150000")["recipient"] == "'=1+1"


def test_list_csv_with_one_seller_holds_only_that_sellers_orders(
    seeded: str, capsys: pytest.CaptureFixture[str], tmp_path: Path  # noqa: F811
) -> None:
    target = tmp_path / "dasom.csv"
    status, out, _ = run(capsys, "list", "seller:dasom-shop", "--csv", str(target))
    assert status == 0 and out.strip() == f"Wrote 1 order to {target}."
    row, = csv_rows(target)
    assert (row["packing_no"], row["seller_id"], row["sales_site"]) == (
        OPEN_API, "dasom-shop", "interpark")
    assert row["cancelled_at"] == "2026-11-11T10:00:00+09:00"
