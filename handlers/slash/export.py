"""`/cancelled list [filters] export`: the whole filtered list (every page, up to 100,000
orders) as a CSV file in a direct message to whoever typed it. The listener acknowledged
already: this runs after the ack, and says it is coming when the file takes more than a
moment to build."""
from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient

from domain.errors import BadFilter
from domain.export import export_orders, export_total
from domain.filters import parse_filters
from handlers.deps import Deps
from handlers.file_upload import send_file_to_dm
from handlers.render.export import (
    csv_bytes,
    export_comment,
    export_failed,
    export_filename,
    export_progress,
    export_sent,
    nothing_to_export,
)
from handlers.render.listing import PAGE_SIZE, bad_filter_message
from handlers.render.mrkdwn import Rendered
from handlers.slack_client import SlackCallFailed

log = logging.getLogger(__name__)


def export_answer(deps: Deps, client: WebClient, user_id: str, words: str,
                  say: Callable[[Rendered], object]) -> Rendered:
    """Send the file for the typed filters; the answer to show (say shows the progress note)."""
    ctx = deps.ctx()
    try:
        query = parse_filters(words, ctx.now, ctx.zone, page_size=PAGE_SIZE)
    except BadFilter as error:
        return bad_filter_message(error.message)
    with deps.uow() as uow:
        total = export_total(uow, query, ctx)
    if not total:
        return nothing_to_export()
    if total > deps.export_note_above:
        say(export_progress(total))
    export = export_orders(deps.uow, query, ctx)
    content = csv_bytes(export.rows)  # read page by page while the rows are written
    filename = export_filename(ctx.now, ctx.zone)
    try:  # after the unit of work: no Slack call inside a transaction
        send_file_to_dm(client, user_id, filename, content, title=filename,
                        comment=export_comment(export, words.strip()))
    except SlackCallFailed as exc:
        log.warning("export for %s not sent: %s", user_id, exc.failure.error)
        return export_failed(exc.failure.error)
    return export_sent(export, filename)
