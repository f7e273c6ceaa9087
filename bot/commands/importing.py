"""`cancelbot import orders FILE.csv` and `cancelbot import sales-orders FILE.csv`."""
from __future__ import annotations

import argparse
import sys
import textwrap
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import Engine

from bot.commands.context import Command, CommandFailed, Wording
from bot.commands.inspect import add_now_option
from bot.progress import ProgressBar
from store.importing import (
    ORDER_COLUMNS,
    ORDERS,
    SALES_ORDER_COLUMNS,
    SALES_ORDERS,
    ImportConflict,
    ImportRejected,
    Kind,
    SyncTally,
    UnreadableFile,
    import_file,
)
from store.migrate import upgrade

MAX_SHOWN = 50  # problems printed; a file with a systematic mistake would otherwise flood
EXIT_REJECTED = 1
EXIT_UNREADABLE = 2
WORDING = Wording(upgrade_hint=False, after_database=" Nothing was imported.",
                  config_status=EXIT_UNREADABLE, config_prefix="configuration error: ")

EPILOG = """\
The file is UTF-8 CSV (a byte-order mark is fine) whose first line names the columns, in any
order; lines end with LF or CRLF. A field in double quotes may hold commas and line breaks, and
"" inside it is one quote; a quote left open is a bad row on the line where it opened. Dates are
ISO 8601 with a UTC offset, from 2000 up to a day after the import. With an updated_at column
(orders may have one; sales orders always do), a row whose key is already stored updates it when
its updated_at is later than the stored one and changes nothing when it is equal or earlier;
without one, a stored key is a bad row. The import is all or nothing: every row is checked,
and any bad row writes nothing. It prints how many rows were new, updated and unchanged. The
database (DATABASE_URL) is brought to the newest schema first.

exit status:
  0  every row imported (new, updated or unchanged)
  1  bad rows or header: each is printed as `line N: column: problem` (the header is line 1),
     and nothing was written; or the database cannot be used or refused the import (nothing
     written either)
  2  the file cannot be read (missing, not UTF-8, lines ending in a carriage return alone) or
     a setting is wrong
"""

KINDS = (
    ("orders", ORDERS, ORDER_COLUMNS,
     "active and cancelled orders; cancelled rows leave stage empty, active rows leave "
     "cancelled_at and cancelled_by empty; dates are ISO 8601 with a UTC offset"),
    ("sales-orders", SALES_ORDERS, SALES_ORDER_COLUMNS,
     "the embedded sales site's orders; status is valid, claim, in_delivery, cancelled or "
     "missing; dates are ISO 8601 with a UTC offset"),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `import orders` and `import sales-orders` to the command line."""
    parser = commands.add_parser(
        "import", help="import orders or sales orders from a CSV file (all or nothing)",
        description="Import a CSV file into the database, all or nothing.", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="import_kind", required=True, metavar="KIND")
    for name, kind, columns, about in KINDS:
        command = sub.add_parser(
            name, help=f"import {kind.noun} from FILE.csv",
            description=textwrap.fill(f"Import {about}.", 95) + "\n\n"
            + textwrap.fill(f"columns: {', '.join(columns)}", 95, subsequent_indent="  ")
            + (f"\n  optional: {', '.join(kind.optional)}" if kind.optional else ""),
            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_argument("file", metavar="FILE.csv", help="the CSV file to import")
        command.add_argument("--progress", action="store_true",
                             help="draw the progress bar even when stderr is not a terminal")
        add_now_option(command)
        command.set_defaults(run=run_import, kind=kind, wording=WORDING)


def run_import(command: Command) -> int:
    """Import args.file as args.kind; prints the outcome and returns the exit status."""
    args = command.args
    try:
        # opened apart from the with below, so that only a file that cannot be read is told so
        stream = open(args.file, "rb")  # noqa: SIM115
    except OSError as error:
        raise CommandFailed(f"cannot read {args.file}: {error.strerror or error}",
                            EXIT_UNREADABLE) from None
    with stream:
        engine = command.open_store().engine
        return _import(engine, stream, args.file, args.kind, command.now, args.progress)


def _import(engine: Engine, stream: BinaryIO, name: str, kind: Kind, now: datetime,
            force_bar: bool) -> int:
    try:
        tally = _write(engine, stream, name, kind, now, force_bar)
    except UnreadableFile as error:
        raise CommandFailed(str(error), EXIT_UNREADABLE) from None
    except ImportConflict as error:
        raise CommandFailed(f"{name}: {error}", EXIT_REJECTED) from None
    except ImportRejected as rejected:
        _report(name, rejected)
        return EXIT_REJECTED
    if tally.new + tally.updated + tally.unchanged == 0:
        print(f"imported 0 {kind.noun}: {name} has no rows under its header")
    else:
        print(f"imported {kind.noun}: {tally.summary}")
    return 0


def _write(engine: Engine, stream: BinaryIO, name: str, kind: Kind, now: datetime,
           force_bar: bool) -> SyncTally:
    """Migrate, then import; the progress bars are off the terminal when it returns or raises,
    before anything else is printed."""
    # rows are written while the file is read, so the file read is the import's progress
    reading = _PhaseBar(f"importing {kind.noun} from {name}", "bytes", force_bar)
    try:
        upgrade(engine)
        return import_file(engine, stream, name, kind, now, on_bytes=reading)
    finally:
        reading.end()


def _report(name: str, rejected: ImportRejected) -> None:
    """Every problem (up to MAX_SHOWN) as `line N: column: problem`, then one summary line."""
    problems = rejected.problems
    for problem in problems[:MAX_SHOWN]:
        print(problem, file=sys.stderr)
    if len(problems) > MAX_SHOWN:
        print(f"... and {len(problems) - MAX_SHOWN:,} more", file=sys.stderr)
    if any(problem.line == 1 for problem in problems):
        what = "the header does not match the columns this import needs"
    else:
        rows = rejected.bad_rows
        what = f"{rows:,} bad row{'s' if rows != 1 else ''}"
    print(f"{name}: {what}; nothing was imported", file=sys.stderr)


class _PhaseBar:
    """A progress callback that draws a bar only for work that is not done at the first report,
    so a small file prints nothing but its result."""

    def __init__(self, label: str, unit: str, force: bool) -> None:
        self.label, self.unit, self.force = label, unit, force
        self.bar: ProgressBar | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None and done < total:
            self.bar = ProgressBar(self.label, total, self.unit, force=self.force)
        if self.bar is not None:
            self.bar.update(done)
            if done >= total:
                self.end()

    def end(self) -> None:
        if self.bar is not None:
            self.bar.finish()
            self.bar = None
