"""The export's CSV file and what `/cancelled list … export` tells the person who typed it."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime, tzinfo

from domain.export import COLUMNS, EXPORT_LIMIT, Export
from handlers.render.mrkdwn import FALLBACK_TEXT_MAX, Rendered, escape, section, truncate


def csv_bytes(rows: Iterable[list[str]]) -> bytes:
    """The file: a header row, then the rows; UTF-8 with a byte-order mark so that
    spreadsheets read Korean names right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def export_filename(now: datetime, zone: tzinfo) -> str:
    """cancelled-deliveries-YYYYMMDD-HHMM.csv, at now in the business time zone."""
    return f"cancelled-deliveries-{now.astimezone(zone):%Y%m%d-%H%M}.csv"


def _plural(n: int) -> str:
    return f"{n:,} order{'' if n == 1 else 's'}"


def _said(text: str) -> Rendered:
    return Rendered(truncate(text, FALLBACK_TEXT_MAX), [section(text)])


def export_progress(total: int) -> Rendered:
    """The note while a big file is built."""
    shown = min(total, EXPORT_LIMIT)
    return _said(f":hourglass_flowing_sand: Building a CSV file of {_plural(shown)}; it will "
                 "arrive in your direct messages with the bot shortly.")


def export_comment(export: Export, filters: str) -> str:
    """What the direct message says above the file."""
    what = f" (`list {escape(filters)}`)" if filters else ""
    more = (f" The list has {_plural(export.total)}; the file holds the first "
            f"{EXPORT_LIMIT:,} (newest cancellation first)." if export.truncated else "")
    return f"Cancelled deliveries{what}: {_plural(export.count)}.{more}"


def export_sent(export: Export, filename: str) -> Rendered:
    """The answer once the file is in the direct message."""
    more = (f" (the first {EXPORT_LIMIT:,} of {export.total:,}; narrow the filters for the "
            "rest)" if export.truncated else "")
    return _said(f":page_facing_up: Sent {_plural(export.count)} as `{escape(filename)}` to "
                 f"your direct messages with the bot{more}.")


def export_written(export: Export, path: str) -> Rendered:
    """What `cancelbot list … --csv FILE` prints once the file is written."""
    more = (f" (the first {EXPORT_LIMIT:,} of {export.total:,})" if export.truncated else "")
    return _said(f"Wrote {_plural(export.count)} to {escape(path)}{more}.")


def nothing_to_export() -> Rendered:
    return _said("No cancelled order matches these filters: there is nothing to export.")


def export_failed(reason: str) -> Rendered:
    return _said(f":warning: The CSV file could not be sent ({escape(reason)}); try again in a "
                 "few minutes.")
