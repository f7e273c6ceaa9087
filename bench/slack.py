"""Slack round trip: `/cancelled PACKING_NO` from the signed request to the card at the response
URL, against the same app's `/cancelled help` and a bare Bolt app that only acknowledges.

    .venv/bin/python bench/slack.py [--orders 1000000] [--database sqlite|postgresql|both]
                                    [--pg-url URL] [--rounds 1000] [--no-write]

The apps run as Slack reaches them in HTTP mode: bot.composition.build_app (or the bare app) behind
bot.http.make_server (waitress), each in a process of its own, on loopback. This process plays
Slack: it signs each request with the signing secret, sends it, reads the acknowledgement, and
serves the response URLs where the answers arrive. PostgreSQL is included when --database says
so, when --pg-url names a server, or when TEST_DATABASE_URL does (its server, database
`cancelbot_bench`). Writes its section of docs/benchmarks.md.
"""
from __future__ import annotations

if __name__ == "__main__":  # run as a script: see bench/_path.py
    import _path  # noqa: F401

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any

from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import data  # noqa: E402
from bench._path import ROOT  # noqa: E402
from bench.slack_side import ResponseUrls, Target, command_body, serve  # noqa: E402
from bench.store import machine  # noqa: E402
from store.db import make_engine  # noqa: E402
from store.models import OrderRow  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench/slack.py -->", "<!-- /bench/slack.py -->"
LOOKUP, HELP, BARE = "lookup `/cancelled PACKING_NO`", "`/cancelled help`", "bare ack (baseline)"


# -- timing ------------------------------------------------------------------------------------

@dataclass
class Samples:
    ack: list[float] = field(default_factory=list)  # seconds to the HTTP answer
    answer: list[float] = field(default_factory=list)  # seconds to the response URL
    both: list[float] = field(default_factory=list)  # seconds until Slack has ack and answer


def round_trip(target: Target, urls: ResponseUrls, text: str | None,
               check: Callable[[dict[str, Any]], bool]) -> tuple[float, float]:
    """One command: (seconds to the ack, seconds to the answer; the ack's for the bare app)."""
    key = urls.new()
    body = command_body(text or "", f"{urls.base}/response/{key}")
    started = time.perf_counter()
    status, _ = target.post(body)
    acked = time.perf_counter()
    if status != 200:
        raise RuntimeError(f"HTTP {status} for /cancelled {text}")
    if text is None:
        del urls.events[key]
        return acked - started, acked - started
    arrived, message = urls.wait(key)
    if not check(message):
        raise RuntimeError(f"unexpected answer to /cancelled {text}: {str(message)[:300]}")
    return acked - started, arrived - started


def packing_numbers(db_url: str, count: int, seed: int = 7) -> list[str]:
    """Random existing packing numbers, in lower case (the lookup forgives case)."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            top = conn.scalar(select(OrderRow.id).order_by(OrderRow.id.desc()).limit(1)) or 0
            rng = random.Random(seed)
            ids = [rng.randint(1, top) for _ in range(count)]
            found = dict(conn.execute(select(OrderRow.id, OrderRow.packing_no)
                                      .where(OrderRow.id.in_(set(ids)))).all())
    finally:
        engine.dispose()
    return [found[i].lower() for i in ids if i in found]


def measure(db_url: str, rounds: int, warmup: int) -> dict[str, Samples]:
    """Interleaved rounds of lookup, help and bare ack, after warm-up rounds."""
    urls = ResponseUrls()
    context = multiprocessing.get_context("fork")  # spawn would re-import bench/store.py as `store`
    ports = context.Queue()
    children = [context.Process(target=serve, args=(kind, db_url, urls.base + "/api/", ports),
                                daemon=True) for kind in ("app", "bare")]
    for child in children:  # forked before this process starts any thread
        child.start()
        child.join(0.01)
    served = dict(ports.get(timeout=60) for _ in children)
    app, bare = Target(served["app"]), Target(served["bare"])
    threading.Thread(target=urls.serve_forever, daemon=True).start()
    numbers = packing_numbers(db_url, warmup + rounds)
    operations: dict[str, Callable[[int], tuple[float, float]]] = {
        LOOKUP: lambda i: round_trip(app, urls, numbers[i % len(numbers)],
                                     lambda m: numbers[i % len(numbers)].upper() in str(m)),
        HELP: lambda i: round_trip(app, urls, "help", lambda m: "history" in str(m)),
        BARE: lambda i: round_trip(bare, urls, None, lambda m: True),
    }
    samples = {name: Samples() for name in operations}
    order = list(operations)
    try:
        for i in range(warmup + rounds):
            random.shuffle(order)
            for name in order:
                ack, answer = operations[name](i)
                if i >= warmup:
                    samples[name].ack.append(ack)
                    samples[name].answer.append(answer)
                    samples[name].both.append(max(ack, answer))
    finally:
        for child in children:
            child.terminate()
            child.join(10)
        urls.shutdown()
    return samples


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1e3:.2f} | {percentile(values, 99) * 1e3:.2f}"


def table(samples: dict[str, Samples]) -> list[str]:
    """Milliseconds (p50 | p99), and ratios against the bare ack's p50."""
    floor = statistics.median(samples[BARE].both)
    lines = ["| operation | n | ack p50 | ack p99 | answer p50 | answer p99 | round trip p50 "
             "| round trip p99 | answer p50 / floor | round trip p50 / floor "
             "| round trip p99 / floor |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in (BARE, HELP, LOOKUP):
        s = samples[name]
        ratios = [statistics.median(s.answer), statistics.median(s.both), percentile(s.both, 99)]
        lines.append(f"| {name} | {len(s.both)} | {ms(s.ack)} | {ms(s.answer)} | {ms(s.both)} | "
                     + " | ".join(f"{r / floor:.2f}x" for r in ratios) + " |")
    return lines


METHOD = (
    "Each app is served by `bot.http.make_server` (waitress, 8 threads) in a process of its "
    "own on loopback; this process plays Slack on a kept-alive connection per app, one request "
    "at a time, signing every request with the signing secret (Bolt checks it in every app). "
    "**lookup** is `/cancelled` with a random existing packing number (typed in lower case), "
    "timed from sending the signed request until the card arrives at the response URL (served "
    "by this process): acknowledgement, then the listener in Bolt's thread pool (its own unit "
    "of work, `domain.lookup.look_up`, rendering) and `respond`. **help** is the same app's "
    "`/cancelled help`: the same path without the database. **bare ack** is a Bolt app that "
    "only calls `ack()`, behind the same server: its answer is the acknowledgement itself, and "
    "its p50 is the `floor` every line is read against. The three are interleaved in shuffled "
    "rounds after warm-up rounds. Times are in ms from sending the request: *ack* until the "
    "HTTP answer Slack waits for (3 s at most), *answer* until the message reaches the "
    "response URL, *round trip* until Slack has both. The answer usually arrives before the "
    "ack: Bolt runs the listener at once and checks for `ack()` every 10 ms "
    "(`slack_bolt/listener/thread_runner.py`), which sets the ~11 ms of every ack, the bare "
    "app's included.")


def markdown(results: list[tuple[str, str, dict[str, Samples]]], args: argparse.Namespace,
             seconds: float, load: str) -> str:
    out = [BEGIN, "## Slack: `/cancelled` round trip (`bench/slack.py`)", "",
           f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {load}",
           f"- Machine: {machine()}, Python {platform.python_version()}",
           f"- Book: {args.orders:,} orders from `bench/data.py` (as in the store benchmark)",
           f"- Reproduce: `.venv/bin/python bench/slack.py --database "
           f"{'both' if len(results) > 1 else results[0][0]}` (this run took {seconds:.0f} s)",
           f"- Method: {METHOD}", ""]
    for kind, build, samples in results:
        label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[kind]
        out += [f"### {label}", "", f"Database: {build}.", ""] + table(samples) + [""]
    return "\n".join(out + [END]) + "\n"


def postgres_url(given: str | None) -> str | None:
    """The PostgreSQL database to use: --pg-url, else TEST_DATABASE_URL's server."""
    if given:
        return given
    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url:
        return make_url(test_url).set(database="cancelbot_bench").render_as_string(
            hide_password=False)
    return None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("--pg-url", help=f"PostgreSQL database (e.g. {data.DEFAULT_PG_URL})")
    parser.add_argument("--rounds", type=int, default=1000, help="timed rounds of the three")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--rebuild", action="store_true", help="build even if a cached DB fits")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    pg_url = postgres_url(args.pg_url)
    if args.database is None:
        args.database = "both" if pg_url else "sqlite"
    if args.database != "sqlite" and not pg_url:
        pg_url = data.DEFAULT_PG_URL
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results = []
    for kind in kinds:
        engine, build = data.prepare(kind, args.orders, pg_url or "", args.rebuild)
        url = engine.url.render_as_string(hide_password=False)
        engine.dispose()
        print(f"{kind}: {build}", flush=True)
        samples = measure(url, args.rounds, args.warmup)
        print("\n".join(table(samples)), flush=True)
        results.append((kind, build, samples))
    if not args.no_write:
        elapsed = time.perf_counter() - started
        data.write_section(DOC, BEGIN, END, markdown(results, args, elapsed, load))
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
