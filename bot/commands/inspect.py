"""`cancelbot show`, `list` and `history`: what the Slack views show, as plain text."""
from __future__ import annotations

import argparse
from datetime import datetime
from typing import Callable

from bot.commands.context import READING, Command
from bot.text_views import render_history, render_jobs, render_listing, render_lookup
from domain.filters import FILTER_FORMS, parse_filters
from domain.lookup import history, jobs_overview, list_orders, look_up
from domain.ports import UnitOfWork
from domain.status import StatusContext

View = Callable[[UnitOfWork, StatusContext, argparse.Namespace], str]


def parse_now(text: str) -> datetime:
    """An ISO 8601 instant with its offset, for the hidden --now option."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date and time") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (add e.g. +09:00)")
    return value


def add_now_option(parser: argparse.ArgumentParser) -> None:
    """A hidden --now ISO option, so that tests and demos can fix the clock."""
    parser.add_argument("--now", type=parse_now, default=None, help=argparse.SUPPRESS)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    show = commands.add_parser("show", help="the lookup card of one order, as Slack shows it")
    show.add_argument("packing_no", metavar="PACKING_NO")
    show.set_defaults(view=show_view)
    listing = commands.add_parser(
        "list", help="cancelled orders with tab and status counts, as Slack lists them",
        description=f"Filters: {FILTER_FORMS}.",
    )
    listing.add_argument("filters", nargs="*", metavar="FILTER")
    listing.set_defaults(view=list_view)
    trail = commands.add_parser("history", help="the audit trail of one order")
    trail.add_argument("packing_no", metavar="PACKING_NO")
    trail.set_defaults(view=history_view)
    jobs = commands.add_parser(
        "jobs", help="jobs queued or running, and results not yet delivered to Slack")
    jobs.set_defaults(view=jobs_view)
    for parser in (show, listing, trail, jobs):
        add_now_option(parser)
        parser.set_defaults(run=run_view, wording=READING)


def jobs_view(uow: UnitOfWork, ctx: StatusContext, args: argparse.Namespace) -> str:
    """Work in flight, with the attempts and last errors of undelivered results."""
    return render_jobs(jobs_overview(uow), ctx.zone)


def show_view(uow: UnitOfWork, ctx: StatusContext, args: argparse.Namespace) -> str:
    """The lookup card of args.packing_no."""
    return render_lookup(look_up(uow, args.packing_no, ctx), ctx.zone)


def list_view(uow: UnitOfWork, ctx: StatusContext, args: argparse.Namespace) -> str:
    """A page of cancelled orders for args.filters, with the counts."""
    query = parse_filters(args.filters, ctx.now, ctx.zone)
    return render_listing(list_orders(uow, query, ctx), ctx.zone, " ".join(args.filters))


def history_view(uow: UnitOfWork, ctx: StatusContext, args: argparse.Namespace) -> str:
    """The audit trail of args.packing_no."""
    order, events = history(uow, args.packing_no)
    return render_history(order, events, ctx.zone)


def run_view(command: Command) -> int:
    """Print one view; a refusal (unknown order, bad filter) goes to bot/cli.py as DomainError."""
    args = command.args
    ctx = command.settings.status_context(args.now)
    with command.open_store().uow() as uow:
        print(args.view(uow, ctx, args))
    return 0
