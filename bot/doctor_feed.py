"""`cancelbot doctor`'s look at the order feed: it answers, its last poll, its problems."""
from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot.composition import order_feed_for
from bot.config import Settings
from bot.doctor import PROBE_TIMEOUT, Finding, fail, ok, warn
from domain.errors import FeedUnavailable
from domain.feed_ledger import FeedProblem, FeedState
from domain.window import format_local
from store.feed_ledger import SqlFeedLedger

FEED_PROBLEMS_SHOWN = 5


def check_order_feed(settings: Settings, engine: Engine) -> list[Finding]:
    """The order feed answers (with the token) from the stored cursor, without applying
    anything; how its last poll went; and the records it could not apply."""
    state, problems, count = _feed_state(engine)
    url = settings.order_feed_url
    feed = order_feed_for(settings, timeout=PROBE_TIMEOUT)
    if feed is None:
        found = [ok("order feed", "not set (CANCELBOT_ORDER_FEED_URL): the book changes by "
                    "`cancelbot import orders` only")]
        if settings.order_feed_token:
            found.append(warn("order feed", "CANCELBOT_ORDER_FEED_TOKEN is set but "
                              "CANCELBOT_ORDER_FEED_URL is not, so the token is not used",
                              "set CANCELBOT_ORDER_FEED_URL to follow Smartship's order feed"))
        return found + _feed_problems(problems, count, settings)
    cursor = state.cursor if state else ""
    try:
        feed.page(cursor, 1)
        found = [ok("order feed", f"{url} answers (polled every {settings.feed_seconds:g} s)")]
    except FeedUnavailable as exc:
        found = [fail("order feed", f"{url}: {exc}",
                      "check CANCELBOT_ORDER_FEED_URL, CANCELBOT_ORDER_FEED_TOKEN and that the "
                      "feed is up")]
    if state is not None:
        found.append(_feed_progress(state, settings))
    return found + _feed_problems(problems, count, settings)


def _feed_state(engine: Engine) -> tuple[FeedState | None, list[FeedProblem], int]:
    try:
        with Session(engine) as session:
            ledger = SqlFeedLedger(session)
            return ledger.state(), ledger.problems(FEED_PROBLEMS_SHOWN), ledger.problem_count()
    except (DBAPIError, RuntimeError):
        return None, [], 0  # the database finding already says why


def _feed_progress(state: FeedState, settings: Settings) -> Finding:
    zone = settings.zone
    success = format_local(state.last_success_at, zone) if state.last_success_at else "never"
    detail = (f"last success {success}, cursor {state.cursor or '(start)'!r}, "
              f"{state.records} record{'s' if state.records != 1 else ''} in {state.pages} "
              f"page{'s' if state.pages != 1 else ''} applied")
    if state.last_error and state.last_error_at:
        return warn("order feed", f"{detail}; last poll failed at "
                    f"{format_local(state.last_error_at, zone)}: {state.last_error}",
                    "the same page is asked for again every CANCELBOT_FEED_SECONDS; fix "
                    "what the error names")
    return ok("order feed", detail)


def _feed_problems(problems: list[FeedProblem], count: int,
                   settings: Settings) -> list[Finding]:
    if not count:
        return []
    newest = "; ".join(f"{p.packing_no or '(no packing number)'} at "
                       f"{format_local(p.seen_at, settings.zone)}: {p.reason}"
                       for p in problems)
    return [warn("order feed", f"{count} record(s) could not be applied; newest: {newest}",
                 "have Smartship publish corrected, newer copies of these orders; "
                 "`cancelbot jobs` lists the problems")]
