"""`cancelbot demo-data`: migrate the database and fill it with a realistic demo set."""
from __future__ import annotations

import argparse

from bot.commands.context import Command, CommandFailed
from bot.commands.inspect import add_now_option
from store.demo import DemoRefused, DemoSummary, write_demo_data


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def run_demo_data(command: Command) -> int:
    """Write the demo set relative to now (or --now); refuse a database that has orders."""
    engine = command.open_store().engine
    try:
        summary = write_demo_data(engine, command.now, command.settings.zone,
                                  force=command.args.force)
    except DemoRefused as exc:
        raise CommandFailed(str(exc)) from None
    print(render_summary(summary))
    return 0
