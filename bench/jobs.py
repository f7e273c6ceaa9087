"""Jobs benchmark: jobs per second from claim to commit, one worker process against two.

    .venv/bin/python bench/jobs.py [--jobs 2000] [--database sqlite|postgresql|both]
                                   [--repeat 3] [--pg-url URL] [--no-write]

Each run starts from a fresh database (a temporary SQLite file, or the schema `bench_jobs` of
the PostgreSQL database `cancelbot_bench`, created if missing) holding that many queued restore
jobs. The workers are separate processes, each a bot.worker.JobWorker calling run_due until the
queue is empty, released together once connected; the time runs from their release to the last
commit. Writes its section of docs/benchmarks.md.
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
from bot.composition import job_worker, open_store  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.worker import BATCH, LEASE  # noqa: E402
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


@dataclass
class Run:
    database: str
    workers: int
    seconds: float
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


def timed_run(database: str, url: str, jobs: int, workers: int) -> Run:
    now = datetime.now(UTC)
    queue_restores(url, jobs, now)
    ctx = multiprocessing.get_context("fork")  # spawn would re-import bench/store.py as `store`
    ready, go, results = ctx.Barrier(workers + 1), ctx.Event(), ctx.Queue()
    processes = [ctx.Process(target=work, args=(url, f"bench{i}", now, ready, go, results))
                 for i in range(workers)]
    for process in processes:
        process.start()
    ready.wait()
    started = time.monotonic()
    go.set()
    reports = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    check(url, jobs)
    return Run(database, workers, max(r[2] for r in reports) - started,
               [r[1] for r in sorted(reports)], sum(r[3] for r in reports),
               sum(r[4] for r in reports))


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
    lines = ["| database | worker processes | jobs/s (median) | runs, jobs/s | seconds (median) "
             "| jobs per worker | vs one worker | ms per job in a worker | SQL per job "
             "| ms of it in SQL |", "|---|---:|---:|---|---:|---|---:|---:|---:|---:|"]
    for database in dict.fromkeys(r.database for r in runs):
        base = None
        for workers in WORKER_COUNTS:
            mine = [r for r in runs if (r.database, r.workers) == (database, workers)]
            if not mine:
                continue
            rates = sorted(jobs / r.seconds for r in mine)
            rate = statistics.median(rates)
            base = base or rate
            middle = min(mine, key=lambda r: abs(jobs / r.seconds - rate))
            lines.append(
                f"| {database} | {workers} | **{rate:,.0f}** | "
                f"{', '.join(f'{x:,.0f}' for x in rates)} | "
                f"{statistics.median(r.seconds for r in mine):.2f} | "
                f"{' + '.join(map(str, middle.per_worker))} | {rate / base:.2f}x | "
                f"{workers * 1000 / rate:.1f} | {middle.statements / jobs:.1f} | "
                f"{middle.sql_seconds * 1000 / jobs:.1f} |")
    return lines


def markdown(runs: list[Run], versions: list[str], args: argparse.Namespace) -> str:
    out = [BEGIN, "## Jobs: claim to commit (`bench/jobs.py`)", "",
           f"- Date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
           f"- Machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
           f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
           + ", ".join(versions),
           f"- Work: {args.jobs:,} queued restore jobs per run, {args.repeat} runs per line, "
           "each on a fresh database (a SQLite file in WAL mode; the PostgreSQL schema "
           f"`{SCHEMA}` of `cancelbot_bench`).",
           f"- Workers are separate processes, each a `bot.worker.JobWorker` (batch {BATCH}, "
           f"lease {LEASE.total_seconds():g} s) calling `run_due` until the queue is empty; "
           "timed from their common start (connected and warmed up) to the last commit. A job "
           "is a claim, a start and a finish transaction (result, order, audit, outbox row); "
           "outbox delivery to Slack is not included. Every run checks that each job "
           "succeeded on its first attempt with one outbox row.",
           "- The machine may be shared with other work while this runs: each run's rate is "
           "listed, and the line shows their median.",
           f"- Reproduce: `.venv/bin/python bench/jobs.py --database {args.database}`", ""]
    out += table(runs, args.jobs)
    out += ["", "SQLite takes one writer at a time (every transaction begins IMMEDIATE), so a",
            "second worker process only adds contention: it is for a single instance.",
            "PostgreSQL workers claim with `FOR UPDATE SKIP LOCKED` and commit in parallel, so",
            "a second process about doubles the rate. One PostgreSQL worker is slower per job than",
            "one SQLite worker because each statement is a round trip to the server (the SQL",
            "column: time from sending a statement to its answer), which a second worker",
            "overlaps. The sales-site read a resync adds is outside this measure."]
    return "\n".join(out + [END]) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("--repeat", type=int, default=3, help="runs per database and worker count")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.database is None:
        args.database = "both" if postgres_reachable(args.pg_url) else "sqlite"
        print(f"database: {args.database}")
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    runs: list[Run] = []
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
                          f"({r.seconds:.2f} s, {r.per_worker})", flush=True)
    print("\n".join(table(runs, args.jobs)))
    if not args.no_write:
        data.write_section(DOC, BEGIN, END, markdown(runs, versions, args))
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
