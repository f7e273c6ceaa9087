"""Jobs benchmark: jobs per second from claim to commit, one worker process against two, each
against its floor; and a 1,000-order bulk resync with a slow sales site (bench/jobs_bulk.py).

    .venv/bin/python bench/jobs.py [--jobs 2000] [--database sqlite|postgresql|both]
                                   [--repeat 3] [--pg-url URL] [--bulk 1000] [--no-write]

Each run starts from a fresh database (a temporary SQLite file, or the schema `bench_jobs` of
the PostgreSQL database `cancelbot_bench`, created if missing) holding that many queued restore
jobs. The workers are separate processes, each a bot.worker.JobWorker calling run_due until the
queue is empty, released together once connected; the time runs from their release to the last
commit. Right before each, the floor: as many processes taking as many trivial rows, one per
transaction (select the first free row, mark it taken, commit), the least a queue that hands
out each row once can do. Writes its section of docs/benchmarks.md.
"""
from __future__ import annotations

if __name__ == "__main__":  # run as a script: see bench/_path.py
    import _path  # noqa: F401

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

from sqlalchemy import event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import data  # noqa: E402
from bench._path import ROOT  # noqa: E402
from bench.jobs_bulk import (  # noqa: E402
    BULK_POLL,
    SALES_SITE_DELAY,
    BulkRun,
    bulk_run,
    bulk_section,
    bulk_table,
)
from bench.jobs_floor import bare, floor_rows  # noqa: E402
from bot.composition import job_worker, open_store  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.worker import BATCH, CONCURRENCY, LEASE  # noqa: E402
from domain.model import Action, CancelledBy, Order, OrderState, Origin, Recovery  # noqa: E402
from domain.requests import Decision, Job, JobState, Request  # noqa: E402
from store.db import make_engine  # noqa: E402
from store.mapping import job_values, order_values, request_values  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import JobRow, OrderRow, OutboxRow, RequestRow  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench/jobs.py -->", "<!-- /bench/jobs.py -->"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cancelbot_bench"
SCHEMA = "bench_jobs"
WORKER_COUNTS = (1, 2)
CHUNK = 1000
TARGETS = {("sqlite", 1): 600, ("postgresql", 1): 500, ("postgresql", 2): 1000}  # jobs/s


@dataclass
class Run:
    database: str
    workers: int
    seconds: float
    floor_seconds: float  # the same count of trivial rows, one per transaction
    per_worker: list[int]
    statements: int  # SQL statements the workers sent, all told
    sql_seconds: float  # and the time they waited for them


def queue_restores(url: str, n: int, now: datetime) -> None:
    """A migrated database holding n approved restore jobs, queued, on n Excel orders."""
    engine = make_engine(url)
    upgrade(engine)
    at = now - timedelta(days=1)
    orders = [order_values(Order(
        packing_no=f"ACC{i:07d}", seller_id=f"seller{i % 40:03d}", sales_site="interpark",
        sales_order_no=f"SO{i:07d}", origin=Origin.EXCEL, state=OrderState.CANCELLED,
        cancelled_at=at, cancelled_by=CancelledBy.SELLER, payment_at=at,
        recovery=Recovery.IN_PROGRESS)) for i in range(n)]
    request = Request(Action.RESTORE, "UBENCH", at, decision=Decision.APPROVED,
                      decided_by="UAPPROVER", decided_at=at)
    with engine.begin() as conn:
        request_id = conn.execute(insert(RequestRow).values(**request_values(request))
                                  .returning(RequestRow.id)).scalar_one()
        for start in range(0, n, CHUNK):
            conn.execute(insert(OrderRow), orders[start:start + CHUNK])
        ids = conn.execute(select(OrderRow.id, OrderRow.packing_no).order_by(OrderRow.id)).all()
        jobs = [job_values(Job(request_id, i, p, Action.RESTORE, JobState.QUEUED, created_at=at))
                for i, p in ids]
        for start in range(0, n, CHUNK):
            conn.execute(insert(JobRow), jobs[start:start + CHUNK])
    engine.dispose()


def work(url: str, owner: str, now: datetime, ready, go, results) -> None:
    """One worker process: connect, wait for the start, run the queue dry, report."""
    settings = Settings(url)
    store = open_store(settings)
    engine = store.engine
    worker = job_worker(settings, store, owner, clock=lambda: now)
    worker.reclaim_expired()  # connects, and warms up the code paths before the clock starts
    sql = {"statements": 0, "seconds": 0.0, "since": 0.0}

    def before(*_: object) -> None:
        sql["statements"] += 1
        sql["since"] = time.perf_counter()

    def after(*_: object) -> None:
        sql["seconds"] += time.perf_counter() - sql["since"]

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    ready.wait()
    go.wait()
    ran = worker.run_due()
    results.put((owner, ran, time.monotonic(), sql["statements"], sql["seconds"]))
    store.close()


def released_together(url: str, workers: int, target) -> tuple[float, list[tuple]]:
    """Start workers processes running target, release them at once; (seconds, reports)."""
    now = datetime.now(UTC)
    ctx = multiprocessing.get_context("fork")  # spawn would re-import bench/store.py as `store`
    ready, go, results = ctx.Barrier(workers + 1), ctx.Event(), ctx.Queue()
    processes = [ctx.Process(target=target, args=(url, f"bench{i}", now, ready, go, results))
                 for i in range(workers)]
    for process in processes:
        process.start()
    ready.wait()
    started = time.monotonic()
    go.set()
    reports = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    return max(r[2] for r in reports) - started, reports


def timed_run(database: str, url: str, jobs: int, workers: int) -> Run:
    floor_rows(url, jobs)
    floor, _ = released_together(url, workers, bare)
    queue_restores(url, jobs, datetime.now(UTC))
    seconds, reports = released_together(url, workers, work)
    check(url, jobs)
    return Run(database, workers, seconds, floor, [r[1] for r in sorted(reports)],
               sum(r[3] for r in reports), sum(r[4] for r in reports))


def check(url: str, jobs: int) -> None:
    """Every job ran exactly once: succeeded, with one outbox row each."""
    engine = make_engine(url)
    with engine.connect() as conn:
        done = conn.scalar(select(func.count()).select_from(JobRow)
                           .where(JobRow.state == "succeeded", JobRow.attempts == 1))
        outbox = conn.scalar(select(func.count(func.distinct(OutboxRow.request_id)))
                             .select_from(OutboxRow))
        rows = conn.scalar(select(func.count()).select_from(OutboxRow))
    engine.dispose()
    if (done, rows, outbox) != (jobs, jobs, 1):
        raise SystemExit(f"not exactly once: {done} succeeded, {rows} outbox rows of {jobs}")


def sqlite_url(directory: str) -> str:
    path = Path(directory) / "jobs.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def postgres_url(base: str) -> str:
    """The bench schema of the bench database, emptied (both created when missing)."""
    name = make_url(base).database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to use database {name!r}: its name lacks 'bench'")
    admin = make_engine(make_url(base).set(database="postgres").render_as_string(False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    engine.dispose()
    options = {"options": f"-csearch_path={SCHEMA}"}
    return make_url(base).update_query_dict(options).render_as_string(hide_password=False)


def server_version(database: str, url: str) -> str:
    if database == "sqlite":
        return "SQLite " + sqlite3.sqlite_version
    engine = make_engine(url)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
    engine.dispose()
    return "PostgreSQL " + version


def postgres_reachable(url: str) -> bool:
    try:
        engine = make_engine(make_url(url).set(database="postgres").render_as_string(False),
                             connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # any failure to connect means: leave PostgreSQL out
        return False


def table(runs: list[Run], jobs: int) -> list[str]:
    lines = ["| database | worker processes | jobs/s (median) | runs, jobs/s | floor rows/s "
             "(median) | jobs/s ÷ floor | jobs per worker | ms per job in a worker "
             "| SQL per job | ms of it in SQL | target |",
             "|---|---:|---:|---|---:|---:|---|---:|---:|---:|---|"]
    for database in dict.fromkeys(r.database for r in runs):
        for workers in WORKER_COUNTS:
            mine = [r for r in runs if (r.database, r.workers) == (database, workers)]
            if not mine:
                continue
            rates = sorted(jobs / r.seconds for r in mine)
            rate = statistics.median(rates)
            floor = statistics.median(jobs / r.floor_seconds for r in mine)
            ratio = statistics.median(r.floor_seconds / r.seconds for r in mine)
            middle = min(mine, key=lambda r: abs(jobs / r.seconds - rate))
            target = TARGETS.get((database, workers))
            verdict = (f"{'PASS' if rate >= target else 'FAIL'} (≥ {target:,})"
                       if target else "")
            lines.append(
                f"| {database} | {workers} | **{rate:,.0f}** | "
                f"{', '.join(f'{x:,.0f}' for x in rates)} | {floor:,.0f} | {ratio:.2f}x | "
                f"{' + '.join(map(str, middle.per_worker))} | "
                f"{workers * 1000 / rate:.1f} | {middle.statements / jobs:.1f} | "
                f"{middle.sql_seconds * 1000 / jobs:.1f} | {verdict} |")
    return lines


def markdown(runs: list[Run], bulks: list[BulkRun], versions: list[str],
             args: argparse.Namespace, load: str) -> str:
    out = [BEGIN, "## Jobs: claim to commit (`bench/jobs.py`)", "",
           f"- Date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; load average before the "
           f"run {load}, after it {load_average()} (other work on the machine shows there: "
           "when it is high, read the ratios to the floor first)",
           f"- Machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
           f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
           + ", ".join(versions),
           f"- Work: {args.jobs:,} queued restore jobs per run, {args.repeat} runs per line, "
           "each on a fresh database (a SQLite file in WAL mode; the PostgreSQL schema "
           f"`{SCHEMA}` of `cancelbot_bench`).",
           f"- Workers are separate processes, each a `bot.worker.JobWorker` (batch {BATCH}, "
           f"lease {LEASE.total_seconds():g} s) calling `run_due` until the queue is empty; "
           "timed from their common start (connected and warmed up) to the last commit. A batch "
           "is two transactions: one claims and starts its jobs and reads their orders; one "
           "writes every job's result, order, audit event and outbox row. Outbox delivery to "
           "Slack is not included. Every run checks that each job succeeded on its first "
           "attempt with one outbox row.",
           "- **Floor**, measured right before each run with as many processes: the same count "
           "of trivial rows taken one per transaction (select the first free row — `FOR UPDATE "
           "SKIP LOCKED` on PostgreSQL —, mark it taken, commit). *jobs/s ÷ floor* above 1 "
           "means a job costs less than the least one-row-per-commit queue.",
           f"- Reproduce: `.venv/bin/python bench/jobs.py --database {args.database}`", ""]
    out += table(runs, args.jobs)
    if bulks:
        out += ["", *bulk_section(bulks)]
    out += ["", "SQLite takes one writer at a time (every transaction begins IMMEDIATE), so a",
            "second worker process only adds contention: it is for a single instance.",
            "PostgreSQL workers claim with `FOR UPDATE SKIP LOCKED` and commit in parallel."]
    return "\n".join(out + [END]) + "\n"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("--repeat", type=int, default=3, help="runs per database and worker count")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--bulk", type=int, default=1000,
                        help="orders in the bulk resync run on PostgreSQL (0: no bulk run)")
    parser.add_argument("--no-sequential", action="store_true",
                        help="skip the bulk run with one sales-site read at a time")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.database is None:
        args.database = "both" if postgres_reachable(args.pg_url) else "sqlite"
        print(f"database: {args.database}")
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    load = load_average()
    runs: list[Run] = []
    bulks: list[BulkRun] = []
    versions = []
    with tempfile.TemporaryDirectory(prefix="cancelbot-bench-jobs-") as directory:
        for kind in kinds:
            make = (lambda: sqlite_url(directory)) if kind == "sqlite" else (
                lambda: postgres_url(args.pg_url))
            versions.append(server_version(kind, make()))
            for _ in range(args.repeat):
                for workers in WORKER_COUNTS:
                    runs.append(timed_run(kind, make(), args.jobs, workers))
                    r = runs[-1]
                    print(f"{kind}: {workers} worker(s): {args.jobs / r.seconds:,.0f} jobs/s "
                          f"({r.seconds:.2f} s, {r.per_worker}); floor "
                          f"{args.jobs / r.floor_seconds:,.0f} rows/s", flush=True)
        if "postgresql" in kinds and args.bulk:
            log = Path(directory) / "bulk-worker.log"
            for concurrency in [CONCURRENCY] + ([] if args.no_sequential else [1]):
                bulks.append(bulk_run(postgres_url(args.pg_url), args.bulk, concurrency,
                                      SALES_SITE_DELAY, BULK_POLL, log))
                print(f"bulk: {concurrency} at once: {bulks[-1]}", flush=True)
    print("\n".join(table(runs, args.jobs) + bulk_table(bulks)))
    if not args.no_write:
        data.write_section(DOC, BEGIN, END, markdown(runs, bulks, versions, args, load))
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
