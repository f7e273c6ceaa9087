"""Running `cancelbot` in-process against a fresh database, and reading back what it stored.

Every test that uses `cancelbot` or `stored` runs on a new SQLite file, and on a new PostgreSQL
schema as well when TEST_DATABASE_URL is set (the `db_url` fixture of tests/conftest.py).
"""
from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from domain.model import Order, SalesOrder
from store.db import make_engine
from store.embedded_sales_site import EmbeddedSalesSite
from store.models import OrderRow, SalesOrderRow
from store.uow import SqlUnitOfWork, session_factory
from tests.slack.conftest import fake_slack  # noqa: F401 - the fake Slack, for test_run.py

ORDERS_HEADER = (
    "packing_no,seller_id,sales_site,sales_order_no,origin,state,stage,cancelled_at,"
    "cancelled_by,payment_at,recipient,items"
)
SALES_ORDERS_HEADER = "sales_site,sales_order_no,status,payment_at,recipient,items,updated_at"
TAB_BUTTON = re.compile(r"^\[(.+): (\d+)\]$")  # `[Sales Site Order Cancel: 3]`
STATUS_COUNT = re.compile(r"^(.+) (\d+)(?: \(shown\))?$")  # `Resync Available 2 (shown)`


def listed_counts(list_output: str) -> dict[str, int]:
    """The counts of a `cancelbot list` page by label: its tab buttons and its Statuses line."""
    counts: dict[str, int] = {}
    for line in list_output.splitlines():
        tab = TAB_BUTTON.match(line)
        if tab:
            counts[tab.group(1)] = int(tab.group(2))
        elif line.startswith("Statuses: "):
            for part in line.removeprefix("Statuses: ").split(" · "):
                status = STATUS_COUNT.match(part)
                assert status, part
                counts[status.group(1)] = int(status.group(2))
    return counts


@dataclass(frozen=True)
class Run:
    """What a user sees: the exit status, stdout and stderr."""

    status: int
    out: str
    err: str


@pytest.fixture
def cancelbot(db_url: str, monkeypatch: pytest.MonkeyPatch,
              capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """`cancelbot ARGS...` with DATABASE_URL set to the test database."""
    monkeypatch.setenv("DATABASE_URL", db_url)

    def run(*argv: str) -> Run:
        capsys.readouterr()  # drop anything printed before, e.g. by an earlier run
        status = main(list(argv))
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run


@pytest.fixture
def csv_file(tmp_path: Path) -> Callable[..., Path]:
    """Writes lines (joined with newlines, plus one at the end) to a new file and returns it."""
    made: list[Path] = []

    def write(*lines: str, name: str = "", encoding: str = "utf-8", prefix: bytes = b"") -> Path:
        path = tmp_path / (name or f"file{len(made) + 1}.csv")
        text = textwrap.dedent("\n".join(lines)) + "\n"
        path.write_bytes(prefix + text.encode(encoding))
        made.append(path)
        return path

    return write


class Stored:
    """The test database as the bot's own repositories read it."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = session_factory(self.engine)

    def order(self, packing_no: str) -> Order | None:
        with SqlUnitOfWork(self.sessions) as uow:
            return uow.orders.get(packing_no)

    def add_order(self, order: Order) -> None:
        with SqlUnitOfWork(self.sessions) as uow:
            uow.orders.add(order)
            uow.commit()

    def sales_order(self, sales_site: str, sales_order_no: str) -> SalesOrder | None:
        return EmbeddedSalesSite(self.sessions).fetch(sales_site, sales_order_no)

    def count_orders(self) -> int:
        return self._count(OrderRow)

    def count_sales_orders(self) -> int:
        return self._count(SalesOrderRow)

    def _count(self, model: type) -> int:
        with SqlUnitOfWork(self.sessions) as uow:
            return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def stored(db_url: str) -> Iterator[Stored]:
    database = Stored(db_url)
    yield database
    database.engine.dispose()


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress reports and insert chunks every 2 rows, so a small file behaves like a big one."""
    import store.csv_check
    import store.importing

    monkeypatch.setattr(store.csv_check, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(store.importing, "INSERT_CHUNK", 2)
