"""Slack round trip: `/cancelled PACKING_NO` and `/cancelled list …` from the signed request
until Slack has the answer (in the acknowledgement, or at the response URL), against the same
app's `/cancelled help` and a bare Bolt app that only acknowledges; Web API calls per command;
the app's memory after mixed requests.

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
import json  # noqa: E402
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
from pathlib import Path  # noqa: E402
from typing import Any

from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import data  # noqa: E402
from bench._path import ROOT  # noqa: E402
from bench.slack_side import ResponseUrls, Target, command_body, serve  # noqa: E402
from store.db import make_engine  # noqa: E402
from store.models import OrderRow  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench/slack.py -->", "<!-- /bench/slack.py -->"
LOOKUP, HELP, BARE = "lookup `/cancelled PACKING_NO`", "`/cancelled help`", "bare ack (baseline)"
BARE_SYNC = "bare ack, processed before the response"
LIST = "list page `/cancelled list …`"
TARGET_RATIO = 0.5  # lookup round trip p50 / floor
LIST_TARGET_MS = 30.0  # list page round trip p99
MIXED = 600  # requests of every kind before the app's memory is read
RSS_TARGET_MB = 150


# -- timing ------------------------------------------------------------------------------------

@dataclass
class Samples:
    ack: list[float] = field(default_factory=list)  # seconds to the HTTP answer
    answer: list[float] = field(default_factory=list)  # seconds until the answer is there
    both: list[float] = field(default_factory=list)  # seconds until Slack has ack and answer
    calls: int = 0  # Web API calls and response URL posts the app made for these commands


def round_trip(target: Target, urls: ResponseUrls, text: str | None,
               check: Callable[[dict[str, Any]], bool]) -> tuple[float, float]:
    """One command: (seconds to the ack, seconds to the answer: the ack's when it carries the
    answer, as it does for the bare app)."""
    key = urls.new()
    body = command_body(text or "", f"{urls.base}/response/{key}")
    started = time.perf_counter()
    status, acknowledgement = target.post(body)
    acked = time.perf_counter()
    if status != 200:
        raise RuntimeError(f"HTTP {status} for /cancelled {text}")
    if text is None or acknowledgement.strip():
        del urls.events[key]
        message = json.loads(acknowledgement) if acknowledgement.strip() else {}
        if text is not None and not check(message):
            raise RuntimeError(f"unexpected answer to /cancelled {text}: {str(message)[:300]}")
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


@dataclass
class Measured:
    samples: dict[str, Samples]
    rss_start_mb: float  # the app's resident memory after its first command
    rss_mb: float  # after the timed rounds and MIXED more requests of every kind


def measure(db_url: str, rounds: int, warmup: int) -> Measured:
    """Interleaved rounds of lookup, list, help and the bare acks, after warm-up rounds; then mixed
    requests, and the app's memory."""
    urls = ResponseUrls()
    context = multiprocessing.get_context("fork")  # spawn would re-import bench/store.py as `store`
    ports = context.Queue()
    children = {kind: context.Process(target=serve, daemon=True,
                                      args=(kind, db_url, urls.base + "/api/", ports))
                for kind in ("app", "bare", "bare-sync")}
    for child in children.values():  # forked before this process starts any thread
        child.start()
        child.join(0.01)
    served = dict(ports.get(timeout=60) for _ in children)
    app, bare, sync = (Target(served[k]) for k in ("app", "bare", "bare-sync"))
    threading.Thread(target=urls.serve_forever, daemon=True).start()
    numbers = packing_numbers(db_url, warmup + rounds + MIXED)
    operations: dict[str, Callable[[int], tuple[float, float]]] = {
        LOOKUP: lambda i: round_trip(app, urls, numbers[i % len(numbers)],
                                     lambda m: numbers[i % len(numbers)].upper() in str(m)),
        HELP: lambda i: round_trip(app, urls, "help", lambda m: "history" in str(m)),
        LIST: lambda i: round_trip(app, urls, LIST_TEXTS[i % len(LIST_TEXTS)],
                                   lambda m: bool(m.get("blocks"))),
        BARE: lambda i: round_trip(bare, urls, None, lambda m: True),
        BARE_SYNC: lambda i: round_trip(sync, urls, None, lambda m: True),
    }
    samples = {name: Samples() for name in operations}
    order = list(operations)
    try:
        operations[HELP](0)
        rss_start = rss_mb(children["app"].pid)
        for i in range(warmup + rounds):
            random.shuffle(order)
            for name in order:
                before = urls.calls
                ack, answer = operations[name](i)
                if i >= warmup:
                    samples[name].ack.append(ack)
                    samples[name].answer.append(answer)
                    samples[name].both.append(max(ack, answer))
                    samples[name].calls += urls.calls - before
        mixed(app, urls, numbers[warmup + rounds:])
        rss = rss_mb(children["app"].pid)
    finally:
        for child in children.values():
            child.terminate()
            child.join(10)
        urls.shutdown()
    return Measured(samples, rss_start, rss)


MIXED_TEXTS = ("list", "list api", "list excel status:recoverable", "list site", "list page:3",
               "list site:tmon", "list from:90d", "list seller:seller001", "jobs", "help")
LIST_TEXTS = tuple(text for text in MIXED_TEXTS if text.startswith("list"))


def mixed(app: Target, urls: ResponseUrls, numbers: list[str]) -> None:
    """MIXED requests: lookups, histories, list pages with filters, jobs and help."""
    for i, number in enumerate(numbers[:MIXED]):
        text = (number, f"history {number}", MIXED_TEXTS[i % len(MIXED_TEXTS)])[i % 3]
        round_trip(app, urls, text, lambda m: bool(m.get("text")))


def rss_mb(pid: int | None) -> float:
    """A process's resident memory in MB (VmRSS in /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return kb / 1024


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1e3:.2f} | {percentile(values, 99) * 1e3:.2f}"


def table(measured: Measured) -> list[str]:
    """Milliseconds (p50 | p99), ratios against the bare ack's p50, calls per command."""
    samples = measured.samples
    floor = statistics.median(samples[BARE].both)
    lines = ["| operation | n | ack p50 | ack p99 | answer p50 | answer p99 | round trip p50 "
             "| round trip p99 | round trip p50 / floor | round trip p99 / floor "
             "| Web API + response_url calls per command | target |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name in (BARE, BARE_SYNC, HELP, LOOKUP, LIST):
        s = samples[name]
        ratio = statistics.median(s.both) / floor
        no_calls = f"{'PASS' if s.calls == 0 else 'MISS'} (0 calls)"
        verdict = ""
        if name == LOOKUP:
            verdict = (f"{'PASS' if ratio <= TARGET_RATIO else 'MISS'} (≤ {TARGET_RATIO}x), "
                       f"{no_calls}")
        elif name == LIST:
            p99 = percentile(s.both, 99) * 1000
            verdict = (f"{'PASS' if p99 <= LIST_TARGET_MS else 'MISS'} (p99 ≤ "
                       f"{LIST_TARGET_MS:g} ms), {no_calls}")
        lines.append(f"| {name} | {len(s.both)} | {ms(s.ack)} | {ms(s.answer)} | {ms(s.both)} "
                     f"| {ratio:.2f}x | {percentile(s.both, 99) / floor:.2f}x "
                     f"| {s.calls / len(s.both):.2f} | {verdict} |")
    verdict = "PASS" if measured.rss_mb <= RSS_TARGET_MB else "MISS"
    lines += ["", f"The app's resident memory (VmRSS): {measured.rss_start_mb:.0f} MB after its "
              f"first command, **{measured.rss_mb:.0f} MB** after the timed rounds and {MIXED} "
              f"mixed requests (lookups, histories, list pages with filters, jobs, help): "
              f"{verdict} (≤ {RSS_TARGET_MB} MB)."]
    return lines


METHOD = (
    "Each app is served by `bot.http.make_server` (waitress, 8 threads) in a process of its "
    "own on loopback; this process plays Slack on a kept-alive connection per app, one request "
    "at a time, signing every request with the signing secret (Bolt checks it in every app), "
    "and serves the Web API and the response URLs, counting every call made to them. "
    "**lookup** is `/cancelled` with a random existing packing number (typed in lower case), "
    "timed from sending the signed request until Slack has the card: the app answers in the "
    "acknowledgement itself (its listener runs in the request's thread: a unit of work, "
    "`domain.lookup.look_up`, rendering), so the round trip is the acknowledgement; an answer "
    "sent to the response URL instead would be timed until it arrived there. **help** is the "
    "same app's `/cancelled help`: the same path without the database. **list page** is the "
    "same app's `/cancelled list` with each of `MIXED_TEXTS`' filters in turn (none, each "
    "tab, a tab and a status, page 3, a sales site, 90 days back, a seller): a page of cards "
    "with the tabs' and statuses' counts, held to p99 ≤ 30 ms. **bare ack** is a "
    "Bolt app with Bolt's defaults that only calls `ack()`, behind the same server: its p50 is "
    "the `floor` every ratio is read against; Bolt runs such a listener in its thread pool and "
    "looks for the `ack()` every 10 ms (`slack_bolt/listener/thread_runner.py`), which sets "
    "its ~11 ms. **bare ack, processed before the response** is the same app with "
    "`process_before_response=True`, as cancelbot's: Bolt's own cost without that wait. The "
    "five are interleaved in shuffled rounds after warm-up rounds. Times are in ms from "
    "sending the request: *ack* until the HTTP answer Slack waits for (3 s at most), *answer* "
    "until the message is there, *round trip* until Slack has both.")


def markdown(results: list[tuple[str, str, Measured]], args: argparse.Namespace,
             seconds: float, load: str) -> str:
    out = [BEGIN, "## Slack: `/cancelled` round trip (`bench/slack.py`)", "",
           f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {load}",
           f"- Machine: {data.machine()}, Python {platform.python_version()}",
           f"- Book: {args.orders:,} orders from `bench/data.py` (as in the store benchmark)",
           f"- Reproduce: `.venv/bin/python bench/slack.py --database "
           f"{'both' if len(results) > 1 else results[0][0]}"
           + (f" --pg-url {args.pg_url}" if args.pg_url else "")
           + f" --rounds {args.rounds} --warmup {args.warmup}` (this run took {seconds:.0f} s; "
           "other work on the machine shows in the load average above)",
           f"- Method: {METHOD}", ""]
    for kind, build, measured in results:
        label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[kind]
        out += [f"### {label}", "", f"Database: {build}.", ""] + table(measured) + [""]
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
    parser.add_argument("--rounds", type=int, default=1000, help="timed rounds of the five")
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
        measured = measure(url, args.rounds, args.warmup)
        print("\n".join(table(measured)), flush=True)
        results.append((kind, build, measured))
    if not args.no_write:
        elapsed = time.perf_counter() - started
        data.write_section(DOC, BEGIN, END, markdown(results, args, elapsed, load))
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
