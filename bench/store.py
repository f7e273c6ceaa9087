"""Store benchmark: look-ups and list pages with counts on a million orders, against the floor.

    .venv/bin/python bench/store.py [--orders 1000000] [--database sqlite|postgresql|both]
                                    [--book even|skewed|both] [--pg-url URL] [--rebuild]
                                    [--explain] [--loaded-by generator|import]

Builds (or reuses) a database per backend and book (bench/data.py), times
domain.lookup.look_up and list_orders through a real unit of work per call, and a bare
`SELECT 1` through a session as the baseline, then writes its section of docs/benchmarks.md.
With `--loaded-by import` each book is instead imported by `cancelbot import orders` into a
fresh database right before it is measured (bench/imported_book.py), in a section of its own.
"""
from __future__ import annotations

if __name__ == "__main__":  # run as a script: see bench/_path.py
    import _path  # noqa: F401

import argparse  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import Engine, event, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench import data, imported_book  # noqa: E402
from bench._path import ROOT  # noqa: E402
from domain.lookup import list_orders, look_up  # noqa: E402
from domain.model import Category  # noqa: E402
from domain.ports import ListQuery  # noqa: E402
from domain.status import Status, StatusContext  # noqa: E402
from domain.window import business_tz  # noqa: E402
from store.uow import SqlUnitOfWork, session_factory  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
MARKERS = {"generator": ("<!-- bench/store.py -->", "<!-- /bench/store.py -->"),
           "import": ("<!-- bench/store.py --loaded-by import -->",
                      "<!-- /bench/store.py --loaded-by import -->")}
LIST = "list page with counts"
TARGETS_MS = {"lookup": 5.0, LIST: 30.0}  # on p99
SITE_ONLY, FROM_90_DAYS, BIG_SELLER = "site only", "from: 90 days ago", "the biggest seller"
P50_TARGETS_MS = {SITE_ONLY: 30.0, FROM_90_DAYS: 30.0}  # on p50
LATER_PAGE = 20
BASELINE = "baseline (SELECT 1)"

QueryMaker = Callable[[random.Random, datetime], ListQuery]
Call = Callable[[], object]
Named = tuple[str, Call]
SHAPES: dict[str, QueryMaker] = {
    "no filter": lambda rng, now: ListQuery(),
    "category": lambda rng, now: ListQuery(category=rng.choice(list(Category))),
    "category + status": lambda rng, now: (
        lambda s: ListQuery(category=s.category, status=s))(rng.choice(list(Status))),
    "seller": lambda rng, now: ListQuery(seller=rng.choice(data.SELLERS)),
    "site + date range": lambda rng, now: (
        lambda start: ListQuery(site=rng.choice(data.SITES), date_from=start,
                                date_to=start + timedelta(days=30))
    )(now - timedelta(days=rng.uniform(30, data.DAYS))),
}
# timed apart, page 0 only: filters that keep a large share of the book
EXTRA_SHAPES: dict[str, QueryMaker] = {
    SITE_ONLY: lambda rng, now: ListQuery(site=rng.choice(data.SITES)),
    FROM_90_DAYS: lambda rng, now: ListQuery(date_from=now - timedelta(days=90)),
    BIG_SELLER: lambda rng, now: ListQuery(seller=data.BIG_SELLER),
}


@dataclass
class Result:
    database: str
    version: str
    build: str
    book: str
    samples: dict[str, list[float]] = field(default_factory=dict)  # milliseconds
    extra: dict[str, list[float]] = field(default_factory=dict)


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def timed(samples: list[float], call: Callable[[], object]) -> None:
    start = time.perf_counter()
    call()
    samples.append((time.perf_counter() - start) * 1000)


def measure(engine: Engine, database: str, build: str, book: str,
            args: argparse.Namespace) -> Result:
    """Warm up, then time look-ups interleaved with the baseline, then the list mix shuffled."""
    sessions = session_factory(engine)
    ctx = StatusContext(datetime.now(UTC), business_tz(), frozenset())
    rng = random.Random(7)
    result = Result(database, server_version(engine), build, book)
    packing_nos = sample_packing_nos(engine, rng, args.lookups + args.warmup)
    lookups = [in_uow(sessions, _looking_up(p, ctx)) for p in packing_nos]
    select_one = in_uow(sessions, lambda u: u.session.execute(text("SELECT 1")).scalar())
    mix = list_calls(sessions, ctx, rng, SHAPES, (0, LATER_PAGE), args.rounds)
    extra = list_calls(sessions, ctx, rng, EXTRA_SHAPES, (0,), args.rounds)
    for call in [select_one] * args.warmup + lookups[: args.warmup] + [c for _, c in mix[:30]]:
        call()
    gc.collect()
    gc.freeze()  # the harness's own objects stay out of the collector's way
    floor, looked = (result.samples.setdefault(k, []) for k in (BASELINE, "lookup"))
    for lookup in lookups[args.warmup:]:
        timed(floor, select_one)
        timed(looked, lookup)
    run_shuffled(mix, result.samples, rng)
    run_shuffled(extra, result.extra, rng)
    gc.unfreeze()
    result.samples[LIST] = [v for name, _ in mix[: len(SHAPES) * 2]
                            for v in result.samples[name]]
    return result


def in_uow(sessions: Callable[[], Session], work: Callable[[SqlUnitOfWork], object]) -> Call:
    """A call doing work in a unit of work of its own, as a request handler would."""
    def call() -> object:
        with SqlUnitOfWork(sessions) as uow:
            return work(uow)
    return call


def list_calls(sessions: Callable[[], Session], ctx: StatusContext, rng: random.Random,
               shapes: dict[str, QueryMaker], pages: tuple[int, ...], rounds: int) -> list[Named]:
    """rounds x shapes x pages list_orders calls, named by shape (and page when several)."""
    return [(f"{name}, page {page}" if len(pages) > 1 else name,
             in_uow(sessions, _listing(query, ctx)))
            for _ in range(rounds) for name, make in shapes.items() for page in pages
            for query in [replace(make(rng, ctx.now), page=page)]]


def run_shuffled(calls: list[Named], samples: dict[str, list[float]], rng: random.Random) -> None:
    for name, _ in calls:
        samples.setdefault(name, [])
    for name, call in rng.sample(calls, len(calls)):
        timed(samples[name], call)


def _listing(query: ListQuery, ctx: StatusContext) -> Callable[[SqlUnitOfWork], object]:
    return lambda u: list_orders(u, query, ctx)


def _looking_up(packing_no: str, ctx: StatusContext) -> Callable[[SqlUnitOfWork], object]:
    return lambda u: look_up(u, packing_no.lower(), ctx)


def sample_packing_nos(engine: Engine, rng: random.Random, k: int) -> list[str]:
    with engine.connect() as conn:
        top = conn.execute(text("SELECT max(id) FROM orders")).scalar_one()
        ids = [rng.randint(1, top) for _ in range(k)]
        listed = ",".join(map(str, set(ids)))
        found: dict[int, str] = dict(conn.execute(
            text(f"SELECT id, packing_no FROM orders WHERE id IN ({listed})")).all())
    return [found[i] for i in ids if i in found]


def server_version(engine: Engine) -> str:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return "PostgreSQL " + conn.execute(text("SHOW server_version")).scalar_one()
    return "SQLite " + sqlite3.sqlite_version


def explain(engine: Engine) -> None:
    """Print the plan of every statement one list_orders call of each shape runs."""
    sessions = session_factory(engine)
    ctx = StatusContext(datetime.now(UTC), business_tz(), frozenset())
    captured: list[tuple[str, Any]] = []
    listener = lambda conn, cur, stmt, params, c, many: captured.append((stmt, params))  # noqa
    event.listen(engine, "before_cursor_execute", listener)
    rng = random.Random(1)
    for make in [*SHAPES.values(), *EXTRA_SHAPES.values()]:
        with SqlUnitOfWork(sessions) as uow:
            list_orders(uow, make(rng, ctx.now), ctx)
    event.remove(engine, "before_cursor_execute", listener)
    prefix = "EXPLAIN ANALYZE " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        for stmt, params in captured:
            if stmt.lstrip().upper().startswith("SELECT"):
                print("\n" + stmt)
                plan = conn.exec_driver_sql(prefix + stmt, params).all()
                print("\n".join("  " + " ".join(str(c) for c in r) for r in plan))


def verdict(name: str, p50: float, p99: float) -> str:
    if name in P50_TARGETS_MS:
        target = P50_TARGETS_MS[name]
        return f"{'PASS' if p50 <= target else 'MISS'} (p50 ≤ {target:g} ms)"
    if name not in TARGETS_MS:
        return ""
    return f"{'PASS' if p99 <= TARGETS_MS[name] else 'MISS'} (p99 ≤ {TARGETS_MS[name]:g} ms)"


def table(result: Result, extra: bool = False) -> list[str]:
    floor = statistics.median(result.samples[BASELINE])
    lines = ["| operation | n | p50 ms | p99 ms | p50 / floor | p99 / floor | target |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for name, values in (result.extra if extra else result.samples).items():
        p50, p99 = percentile(values, 50), percentile(values, 99)
        label = f"**{name}**" if name in TARGETS_MS or name in P50_TARGETS_MS else name
        lines.append(f"| {label} | {len(values)} | {p50:.2f} | {p99:.2f} | {p50 / floor:.1f}x "
                     f"| {p99 / floor:.1f}x | {verdict(name, p50, p99)} |")
    return lines


def markdown(results: list[Result], args: argparse.Namespace, seconds: float, load: str) -> str:
    command = ".venv/bin/python bench/store.py" + "".join(
        f" {flag} {value}" for flag, value, default in (
            ("--orders", args.orders, 1_000_000), ("--database", args.database, None),
            ("--book", args.book, "both"),
            ("--pg-url", args.pg_url, data.DEFAULT_PG_URL),
            ("--loaded-by", args.loaded_by, "generator")) if value != default)
    imported = args.loaded_by == "import"
    title = ("right after `cancelbot import orders`" if imported
             else "look-up and list page with counts")
    out = [MARKERS[args.loaded_by][0], f"## Store: {title} (`bench/store.py`)", "",
           f"- Date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; load average {load}",
           f"- Machine: {data.machine()}, Python {platform.python_version()}, "
           + ", ".join(dict.fromkeys(r.version for r in results))
           + "; other work on the machine shows in the load average above, and its pauses "
           "in the p99s: read them against the floor's own p99",
           f"- Books: {args.orders:,} orders each from `bench/data.py`; "
           + "; ".join(data.describe_book(b) for b in dict.fromkeys(r.book for r in results)),
           *([IMPORTED] if imported else []),
           f"- Reproduce: `{command}` (this run took {seconds:.0f} s; "
           + ("each run imports the books again)" if imported else
              "a rerun reuses the databases)"), *METHOD, ""]
    for r in results:
        out += [f"### {r.version}, {r.book} book", "", f"Database: {r.build}.", ""]
        out += table(r) + [""]
        out += [f"Filters that keep a large share of the book ({r.version}, {r.book} book), "
                "page 0:", ""]
        out += table(r, extra=True) + [""]
    return "\n".join(out + [MARKERS[args.loaded_by][1]]) + "\n"


IMPORTED = (
    "- Loaded by import: each book is written to an orders CSV file and imported into an empty "
    "database by `cancelbot import orders` in a process of its own; the timing starts as soon as "
    "that process has ended (the import's own ANALYZE, and VACUUM on PostgreSQL, are all the "
    "tables get). Every order comes in as Smartship sends it, with no recovery status.")
METHOD = (
    "- Method: every call opens its own unit of work (session, transaction, rollback), after "
    "warm-up calls. **lookup** is `domain.lookup.look_up` of a random existing packing number "
    "(typed in lower case). **list page with counts** is `domain.lookup.list_orders` over the "
    f"mix below, each shape at page 0 and page {LATER_PAGE}, with random parameters, shuffled. "
    "`floor` is the p50 of a bare `SELECT 1` through a unit of work, timed in the same run, "
    "interleaved with the look-ups; the ratios read the results against the database's own "
    "round trip. Targets are on p99.",
    "- Timed apart, at page 0: filters that keep a large share of the book (one site: a "
    "quarter of the even book, all of the skewed one; a 90-day range: a quarter; the biggest "
    "seller: 17% of the even book, half of the skewed one), held to p50 ≤ 30 ms (the site and "
    "the range).",
    "- The counts are sums over `order_counts` and `order_day_counts` (kept by triggers on "
    "`orders`, migration 0006), plus the part-days at a date range's ends from the orders; "
    "`--explain` prints every statement's plan.",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("--book", choices=(*data.BOOKS, "both"), default="both",
                        help="how orders spread over sellers and sites (bench/data.py)")
    parser.add_argument("--pg-url", default=data.DEFAULT_PG_URL)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=50, help="rounds of the list query mix")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true", help="build even if a cached DB fits")
    parser.add_argument("--explain", action="store_true", help="print list query plans, no timing")
    parser.add_argument("--loaded-by", choices=("generator", "import"), default="generator",
                        help="fill each book straight from bench/data.py (reused), or by "
                        "`cancelbot import orders` into a fresh database right before timing")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    if args.database is None:
        args.database = "both" if data.postgres_reachable(args.pg_url) else "sqlite"
        print(f"database: {args.database}")
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results = []
    books = data.BOOKS if args.book == "both" else (args.book,)
    for book, kind in [(b, k) for b in books for k in kinds]:
        engine, build = (
            imported_book.prepare(kind, args.orders, args.pg_url, book)
            if args.loaded_by == "import"
            else data.prepare(kind, args.orders, args.pg_url, args.rebuild, book))
        print(f"{kind}, {book} book: {build}", flush=True)
        if args.explain:
            explain(engine)
            continue
        results.append(measure(engine, kind, build, book, args))
        print("\n".join(table(results[-1]) + table(results[-1], extra=True)[2:]), flush=True)
        engine.dispose()
    if results and not args.no_write:
        elapsed = time.perf_counter() - started
        data.write_section(DOC, *MARKERS[args.loaded_by], markdown(results, args, elapsed, load))
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
