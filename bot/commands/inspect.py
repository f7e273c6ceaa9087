"""`cancelbot show`, `list`, `history` and `jobs`: the Slack views, as the console reads them.

Each command renders the very Block Kit message `/cancelled` answers with (handlers/render/)
through the console's text renderer (bot/console/render.py), so the terminal cannot say
anything Slack does not. Buttons show as `[Label]`. A terminal has no message size limit: the
history and the jobs list show every line where Slack counts the ones past its room.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.commands.context import READING, Command
from bot.console.render import plain_text
from domain.export import EXPORT_LIMIT, export_orders
from domain.filters import FILTER_FORMS, parse_filters
from domain.lookup import history, jobs_overview, list_orders, look_up
from domain.ports import UnitOfWork
from domain.status import StatusContext
from handlers.render.export import csv_bytes, export_written
from handlers.render.history import history_message
from handlers.render.jobs import jobs_message
from handlers.render.listing import PAGE_SIZE, listing_message
from handlers.render.lookup_card import lookup_card
from handlers.render.mrkdwn import Rendered

View = Callable[[UnitOfWork, StatusContext, argparse.Namespace], Rendered]
NO_SIZE_LIMIT = 1 << 40  # characters: as much as the terminal is given


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


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    show = commands.add_parser("show", help="the lookup card of one order, as Slack shows it")
    show.add_argument("packing_no", metavar="PACKING_NO")
    show.set_defaults(view=show_view)
    listing = commands.add_parser(
        "list", help="cancelled orders with tab and status counts, as Slack lists them",
        description=f"Filters: {FILTER_FORMS}.",
    )
    listing.add_argument("filters", nargs="*", metavar="FILTER")
    listing.add_argument("--csv", metavar="FILE", type=Path, default=None,
                         help="write the whole filtered list (every page, up to "
                         f"{EXPORT_LIMIT:,} orders) to FILE as CSV, as `/cancelled list … "
                         "export` sends it, instead of printing a page")
    listing.set_defaults(view=list_view)
    trail = commands.add_parser("history", help="the audit trail of one order")
    trail.add_argument("packing_no", metavar="PACKING_NO")
    trail.set_defaults(view=history_view)
    jobs = commands.add_parser(
        "jobs", help="jobs queued or running, results not yet delivered to Slack, and the "
        "order feed's state and problems")
    jobs.set_defaults(view=jobs_view)
    for parser in (show, listing, trail, jobs):
        add_now_option(parser)
        parser.set_defaults(run=run_view, wording=READING)


def jobs_view(uow: UnitOfWork, ctx: StatusContext, args: argparse.Namespace) -> Rendered:
    """Work in flight, with the attempts and last errors of undelivered results."""
    return jobs_message(jobs_overview(uow), ctx.zone, budget=NO_SIZE_LIMIT)


def show_view(uow: UnitOfWork, ctx: StatusContext, args: argparse.Namespace) -> Rendered:
    """The lookup card of args.packing_no."""
    return lookup_card(look_up(uow, args.packing_no, ctx), ctx.zone)


def list_view(uow: UnitOfWork, ctx: StatusContext, args: argparse.Namespace) -> Rendered:
    """A page of cancelled orders for args.filters, with the counts."""
    query = parse_filters(args.filters, ctx.now, ctx.zone, page_size=PAGE_SIZE)
    return listing_message(list_orders(uow, query, ctx), ctx.zone)


def write_csv(uow_factory: Callable[[], UnitOfWork], ctx: StatusContext,
              args: argparse.Namespace) -> Rendered:
    """`list --csv FILE`: the whole list for args.filters written to FILE; what was written."""
    query = parse_filters(args.filters, ctx.now, ctx.zone, page_size=PAGE_SIZE)
    export = export_orders(uow_factory, query, ctx)
    args.csv.write_bytes(csv_bytes(export.rows))
    return export_written(export, str(args.csv))


def history_view(uow: UnitOfWork, ctx: StatusContext, args: argparse.Namespace) -> Rendered:
    """The audit trail of args.packing_no."""
    order, events = history(uow, args.packing_no)
    return history_message(order, events, ctx.zone, budget=NO_SIZE_LIMIT)


def run_view(command: Command) -> int:
    """Print one view; a refusal (unknown order, bad filter) goes to bot/cli.py as DomainError."""
    args = command.args
    ctx = command.settings.status_context(args.now)
    store = command.open_store()
    if getattr(args, "csv", None) is not None:
        rendered = write_csv(store.uow, ctx, args)
    else:
        with store.uow() as uow:
            rendered = args.view(uow, ctx, args)
    print(plain_text(rendered.blocks))
    return 0
