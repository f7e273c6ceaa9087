"""A benchmark book loaded the way a team loads its own: `cancelbot import orders` of a CSV file.

bench/data.py writes its generated books straight into the tables, then analyses them (and on
PostgreSQL vacuums them) itself. This module writes the same orders as an orders CSV file and
runs `cancelbot import orders` on a fresh database in a process of its own, so that whatever is
measured next sees the tables exactly as an import leaves them, with nothing done in between.
The file carries what Smartship knows of an order: every order comes in with no recovery
status (those are cancelbot's own), and the successor links of done resyncs are left out.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from bench import data
from bench._path import ROOT
from domain.model import Order, OrderState
from store.csv_check import ORDER_COLUMNS
from store.db import make_engine


def _cell(order: Order, column: str) -> str:
    value = getattr(order, column)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(getattr(value, "value", value))


def write_csv(path: Path, n: int, book: str, now: datetime) -> None:
    """The n orders of the book as an orders CSV file (without updated_at: all of them new)."""
    generator = data.Generator(now, book=book)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(ORDER_COLUMNS)
        for order in generator.orders(n):
            if order.state is OrderState.ACTIVE and order.cancelled_at is not None:
                # a done restore: active again; the file has an active order's fields only
                order = replace(order, cancelled_at=None, cancelled_by=None)
            writer.writerow([_cell(order, column) for column in ORDER_COLUMNS])


def _fresh_url(kind: str, n: int, pg_url: str, book: str) -> tuple[str, str]:
    """An empty database for the imported book, and its name for the report: a SQLite file in
    bench/.data, or a PostgreSQL database named after the bench one with `_<book>_imported`."""
    if kind == "sqlite":
        path = data.CACHE / f"store-{n}-{book}-imported.sqlite3"
        data.CACHE.mkdir(exist_ok=True)
        for stale in (path, path.with_name(path.name + "-wal"),
                      path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        return f"sqlite:///{path}", f"`bench/.data/{path.name}`"
    url = make_url(pg_url)
    url = url.set(database=f"{url.database}_{book}_imported")
    rendered = url.render_as_string(hide_password=False)
    data.recreate_postgres(rendered, drop=True)
    return rendered, url.render_as_string(hide_password=True)


def prepare(kind: str, n: int, pg_url: str, book: str) -> tuple[Engine, str]:
    """An engine on a fresh database that `cancelbot import orders` has just filled with the
    book's n orders, and how that went."""
    url, where = _fresh_url(kind, n, pg_url, book)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="bench-book-") as tmp:
        path = Path(tmp) / "orders.csv"
        write_csv(path, n, book, now)
        command = [str(Path(sys.executable).parent / "cancelbot"), "import", "orders",
                   "--now", now.isoformat(), str(path)]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the import failed ({done.returncode}): {done.stderr.strip()}")
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM orders")).scalar()
    return engine, (f"{where}, filled by `cancelbot import orders` of {count:,} orders in "
                    f"{seconds:.0f} s and measured right after it, nothing run in between")
