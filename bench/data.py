"""A realistic order book for benchmarks, and fast loading of it into SQLite or PostgreSQL.

The mix: ~40 sellers of uneven size on tmon/interpark/wemakeprice/shopby, cancellations spread
over the last 365 days, ~90% cancelled deliveries (api / excel+manual / sales-site cancels) and
~10% active orders, recovery mostly none with some awaiting/in progress/done/failed. A resync
that is done also adds the active order it created (`resynced_from`), so lookups follow real
successor links; a restore that is done leaves the order active with its cancellation kept.

A *skewed* book (`BOOKS`) keeps the mix but gives one seller half of the orders and puts every
order on one sales site: the shapes that defeat an index chosen for an even book.
"""
from __future__ import annotations

import hashlib
import os
import platform
import random
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, func, insert, inspect, select, text
from sqlalchemy.engine import make_url

from domain.model import CancelledBy, Order, OrderState, Origin, Recovery, Stage
from store.db import make_engine
from store.mapping import order_values
from store.migrate import MIGRATIONS, upgrade
from store.models import OrderRow

CACHE = Path(__file__).resolve().parent / ".data"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cancelbot_bench"

SITES = ("tmon", "interpark", "wemakeprice", "shopby")
SITE_WEIGHTS = (30, 25, 25, 20)
SELLERS = tuple(f"seller{n:03d}" for n in range(1, 41))
SELLER_WEIGHTS = tuple(1 / rank**0.8 for rank in range(1, 41))  # a few big sellers, a long tail
DAYS = 365
WINDOW = timedelta(days=14)
RECOVERIES = (Recovery.NONE, Recovery.AWAITING, Recovery.IN_PROGRESS, Recovery.DONE,
              Recovery.FAILED_RETRY)
RECOVERY_WEIGHTS = (86, 2, 1, 6, 5)
RECIPIENTS = ("김민준", "이서연", "박지호", "최수아", "정도윤", "강하은", "조예준", "윤지우")
STAGES = tuple(Stage)
CHUNK = 10_000
BOOKS = ("even", "skewed")  # how orders spread over sellers and sites
BIG_SELLER = SELLERS[0]  # in a skewed book, half of the orders are this seller's


def describe_book(book: str) -> str:
    """The book in one sentence, for the report."""
    if book == "skewed":
        return (f"skewed: {BIG_SELLER} holds half of the orders (the rest spread as in the even "
                f"book), every order on {SITES[0]}, cancellations over the last {DAYS} days; "
                "otherwise the even book's mix")
    return "even: " + describe()


def describe() -> str:
    """The mix in one sentence, for the report."""
    share = SELLER_WEIGHTS[0] / sum(SELLER_WEIGHTS)
    return (f"{len(SELLERS)} sellers (the largest has {share:.0%} of the orders), sites "
            f"{'/'.join(SITES)}, cancellations spread over the last {DAYS} days; ~90% cancelled "
            "deliveries (api 55%, excel/manual 20%, sales-site cancels 25%) and ~10% active "
            "orders; api and excel/manual recovery mostly none, done 6%, failed 5%, "
            "a few awaiting or in progress (inside the window only); a done "
            "resync adds the active order it created, a done restore is active again")


class Generator:
    """Orders in cancellation-time order, with packing numbers QSP + yymmdd + daily serial."""

    def __init__(self, now: datetime, seed: int = 20261126, book: str = "even") -> None:
        self.now, self.skewed = now, book == "skewed"
        self.rng = random.Random(seed)
        self.serials: dict[str, int] = defaultdict(int)

    def packing_no(self, at: datetime) -> str:
        day = at.strftime("%y%m%d")
        self.serials[day] += 1
        return f"QSP{day}{self.serials[day]:04d}"

    def orders(self, n: int) -> Iterator[Order]:
        """Exactly n orders (a done resync's successor counts as one)."""
        start = self.now - timedelta(days=DAYS)
        stamps = sorted(self.rng.uniform(0, DAYS * 86400) for _ in range(n))
        yield from islice(self._expand(start + timedelta(seconds=s) for s in stamps), n)

    def _expand(self, times: Iterator[datetime]) -> Iterator[Order]:
        for at in times:
            if self.rng.random() < 0.10:
                yield self._active(at)
                continue
            order = self._cancelled(at)
            if order.recovery is Recovery.DONE and order.origin is Origin.API:
                successor = self._successor(order)
                yield Order(**{**_fields(order), "superseded_by": successor.packing_no})
                yield successor
            else:
                yield order

    def _base(self, at: datetime, origin: Origin) -> dict[str, Any]:
        rng = self.rng
        site = SITES[0] if self.skewed else rng.choices(SITES, SITE_WEIGHTS)[0]
        seller = rng.choices(SELLERS, SELLER_WEIGHTS)[0]
        if self.skewed and rng.random() < 0.5:
            seller = BIG_SELLER
        return dict(
            packing_no=self.packing_no(at),
            seller_id=seller,
            sales_site=site,
            sales_order_no=f"{site[:2].upper()}{rng.randrange(10**9, 10**10)}",
            origin=origin,
            payment_at=at - timedelta(minutes=rng.randrange(5, 3 * 24 * 60)),
            recipient=rng.choice(RECIPIENTS),
            items=f"item-{rng.randrange(1, 5000)} x {rng.randrange(1, 4)}",
        )

    def _active(self, at: datetime) -> Order:
        origin = self.rng.choices((Origin.API, Origin.EXCEL, Origin.MANUAL), (70, 20, 10))[0]
        return Order(state=OrderState.ACTIVE, stage=self.rng.choice(STAGES),
                     **self._base(at, origin))

    def _cancelled(self, at: datetime) -> Order:
        rng = self.rng
        kind = rng.choices(("api", "excel", "site"), (55, 20, 25))[0]
        origin = {"api": Origin.API, "site": Origin.API}.get(kind) or rng.choice(
            (Origin.EXCEL, Origin.MANUAL))
        by = CancelledBy.SALES_SITE if kind == "site" else CancelledBy.SELLER
        recovery = (Recovery.NONE if kind == "site"
                    else rng.choices(RECOVERIES, RECOVERY_WEIGHTS)[0])
        if recovery in (Recovery.AWAITING, Recovery.IN_PROGRESS) and self.now - at >= WINDOW:
            recovery = Recovery.NONE  # requests are only made inside the window
        restored = recovery is Recovery.DONE and kind == "excel"
        return Order(
            state=OrderState.ACTIVE if restored else OrderState.CANCELLED,
            stage=rng.choice(STAGES) if restored else None,
            cancelled_at=at, cancelled_by=by, recovery=recovery, **self._base(at, origin),
        )

    def _successor(self, order: Order) -> Order:
        delay = timedelta(hours=self.rng.uniform(1, 13 * 24))  # resynced inside the window
        at = order.when_cancelled + delay
        values = {**_fields(order), "packing_no": self.packing_no(min(at, self.now)),
                  "state": OrderState.ACTIVE, "stage": self.rng.choice(STAGES),
                  "cancelled_at": None, "cancelled_by": None, "recovery": Recovery.NONE,
                  "resynced_from": order.packing_no}
        return Order(**values)


def _fields(order: Order) -> dict[str, Any]:
    return {name: getattr(order, name) for name in Order.__dataclass_fields__ if name != "id"}


def rows(n: int, now: datetime | None = None, book: str = "even") -> Iterator[dict[str, Any]]:
    """Column values (store.mapping.order_values) of n generated orders."""
    generator = Generator(now or datetime.now(UTC), book=book)
    return (order_values(order) for order in generator.orders(n))


def _chunks(values: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(islice(values, CHUNK)):
        yield chunk


def load_sqlite(engine: Engine, n: int, book: str = "even") -> None:
    """Core executemany in chunks, one transaction, then ANALYZE."""
    table = cast(Table, OrderRow.__table__)  # declared a FromClause; a mapped class's is a Table
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB while the indexes grow
        for chunk in _chunks(rows(n, book=book)):
            conn.execute(insert(table), chunk)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def load_postgresql(engine: Engine, n: int, book: str = "even") -> None:
    """COPY through psycopg in one transaction, then VACUUM ANALYZE (stats + visibility map)."""
    columns = [c.name for c in OrderRow.__table__.columns if c.name != "id"]
    sql = f"COPY orders ({', '.join(columns)}) FROM STDIN"
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(sql) as copy:
            for values in rows(n, book=book):
                copy.write_row([values[c] for c in columns])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) orders"))


def load(engine: Engine, n: int, book: str = "even") -> None:
    if engine.dialect.name == "postgresql":
        load_postgresql(engine, n, book)
    else:
        load_sqlite(engine, n, book)


def fingerprint() -> str:
    """What a built database depends on: the migrations and this generator."""
    sources = sorted(MIGRATIONS.glob("versions/*.py")) + [Path(__file__)]
    return hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]


def built(engine: Engine, n: int) -> str | None:
    """How the database was built, if it can be reused: from these sources, with n orders."""
    if "bench_meta" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        meta: dict[str, str] = dict(conn.execute(text("SELECT key, value FROM bench_meta")).all())
        if meta.get("fingerprint") != fingerprint():
            return None
        if conn.scalar(select(func.count()).select_from(OrderRow)) != n:
            return None
    return meta.get("built")


def _build(engine: Engine, n: int, book: str = "even") -> str:
    started = time.perf_counter()
    upgrade(engine)
    load(engine, n, book)
    how = (f"built and analysed in {time.perf_counter() - started:.0f} s "
           f"on {datetime.now().astimezone():%Y-%m-%d %H:%M}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_meta (key VARCHAR(32) PRIMARY KEY, value TEXT)"))
        conn.execute(text("INSERT INTO bench_meta VALUES ('fingerprint', :f), ('built', :b)"),
                     {"f": fingerprint(), "b": how})
    return how


def _admin(url: str, sql: str, **params: object) -> object:
    """Run one statement on the server's `postgres` database, outside a transaction."""
    admin = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    engine = make_engine(admin, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            result = conn.execute(text(sql), params)
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def postgres_reachable(url: str) -> bool:
    try:
        _admin(url, "SELECT 1")
        return True
    except Exception:  # any failure to connect means: leave PostgreSQL out
        return False


def recreate_postgres(url: str, drop: bool) -> None:
    name = make_url(url).database or ""
    if drop and "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name lacks 'bench'")
    if drop:
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if not _admin(url, "SELECT 1 FROM pg_database WHERE datname = :n", n=name):
        _admin(url, f'CREATE DATABASE "{name}"')


def prepare(kind: str, n: int, pg_url: str, rebuild: bool = False,
            book: str = "even") -> tuple[Engine, str]:
    """An engine on a database holding the n generated orders of the book, reused when it
    already fits."""
    if book != "even":
        pg_url = make_url(pg_url).set(database=f"{make_url(pg_url).database}_{book}") \
            .render_as_string(hide_password=False)
    if kind == "postgresql":
        recreate_postgres(pg_url, drop=False)
        engine = make_engine(pg_url)
        where = make_url(pg_url).render_as_string(hide_password=True)
        if not rebuild and (how := built(engine, n)):
            return engine, f"{where}, reused ({how})"
        engine.dispose()
        recreate_postgres(pg_url, drop=True)
        engine = make_engine(pg_url)
        return engine, f"{where}, {_build(engine, n, book)}"
    path = CACHE / (f"store-{n}.sqlite3" if book == "even" else f"store-{n}-{book}.sqlite3")
    engine = make_engine(f"sqlite:///{path}")
    if path.exists() and not rebuild and (how := built(engine, n)):
        return engine, f"`bench/.data/{path.name}`, reused ({how})"
    engine.dispose()
    CACHE.mkdir(exist_ok=True)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    return engine, f"`bench/.data/{path.name}`, {_build(engine, n, book)}"


def machine() -> str:
    """The machine in one line, for the reports."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.machine())
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"nproc {len(os.sched_getaffinity(0))} ({cpu}), {memory:.0f} GiB RAM, "
            f"{platform.system()} {platform.release()}")


def write_section(path: Path, begin: str, end: str, section: str) -> None:
    """Replace one benchmark's section (between its begin and end markers) of the results file,
    keeping everything else."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        new = head + section.rstrip("\n") + rest.split(end, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
