"""`cancelbot demo-data`: migrate the database and fill it with a realistic demo set."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from bot.commands.inspect import add_now_option
from bot.config import ConfigError, Settings
from store.db import make_engine
from store.demo import DemoRefused, DemoSummary, write_demo_data


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = commands.add_parser(
        "demo-data", help="fill an empty database (DATABASE_URL) with a realistic demo set"
    )
    demo.add_argument(
        "--force", action="store_true", help="add the demo set even if the database has orders"
    )
    add_now_option(demo)
    demo.set_defaults(run=run_demo_data)


def render_summary(summary: DemoSummary) -> str:
    """What was written, and the showcase orders to try first."""
    lines = [
        f"Wrote {summary.orders} orders ({summary.cancelled} cancelled deliveries), "
        f"{summary.sales_orders} sales orders and {summary.requests} requests.",
        "",
    ]
    width = max((len(no) for no, _ in summary.showcase), default=0)
    lines += [f"Try: cancelbot show {no:<{width}}  # {note}" for no, note in summary.showcase]
    lines += ["Try: cancelbot list", "Try: cancelbot list api status:failed_to_resync",
              "Try: cancelbot list excel from:7d"]
    return "\n".join(lines)


def run_demo_data(args: argparse.Namespace) -> int:
    """Write the demo set relative to now (or --now); refuse a database that has orders."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    try:
        now = args.now or datetime.now(timezone.utc)
        summary = write_demo_data(engine, now, settings.zone, force=args.force)
    except DemoRefused as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(render_summary(summary))
    return 0
