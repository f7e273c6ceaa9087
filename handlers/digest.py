"""The morning digest in the approval channel, posted once a day whichever process gets there.

Every bot process runs the digest cron (09:00 business time, tried again every few minutes of
that hour). The `digests` table holds one row per business day; the try whose insert of the
day's row succeeds posts, and the others do nothing.

A failed post gives the day back (the row is deleted), so the next try, of another process or
of this one a few minutes later, posts it; a claim left unsettled for CLAIM_LEASE (its process
died while posting) is taken over the same way. A failure may come after Slack posted (a 5xx,
a timeout, a dropped connection), so the digest carries its day in its metadata, and every try
first looks in the channel for the day's digest (handlers/posting.py): one found is recorded,
not posted again. So the day gets one digest, and does not go without one.
"""
from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from slack_sdk import WebClient

from domain.digest import DIGEST_SPAN, closing_soon, digest_day
from domain.ports import UnitOfWork
from domain.status import StatusContext
from handlers.posting import find_in_channel, mark, post_once
from handlers.render.digest import MAX_ORDERS, digest_message
from handlers.slack_client import SlackCallFailed, call

DIGEST_EVENT = "cancelbot_digest"  # metadata event_type of a digest message
# far longer than a post takes (client timeouts and retries included), and short enough for
# the hour's later tries to take over from a process that died while posting
CLAIM_LEASE = timedelta(minutes=10)

log = logging.getLogger(__name__)


class DigestOutcome(str, enum.Enum):
    POSTED = "posted"
    TAKEN = "taken"  # another try has the day: posted, posting, or found nothing
    NOTHING = "nothing"  # nothing closes soon: no message
    FAILED = "failed"  # Slack refused or did not answer; the day was given back


def post_digest(
    uow_factory: Callable[[], UnitOfWork], client: WebClient, channel: str, ctx: StatusContext,
    *, owner: str | None = None, within: timedelta = DIGEST_SPAN, limit: int = MAX_ORDERS,
) -> DigestOutcome:
    """Post today's digest to channel unless another try has the day; what happened."""
    owner = owner or f"digest-{uuid.uuid4().hex[:12]}"
    day = digest_day(ctx.now, ctx.zone)
    with uow_factory() as uow:
        claimed = uow.digests.claim(day, owner, ctx.now, ctx.now - CLAIM_LEASE)
        uow.commit()
    if not claimed:
        return DigestOutcome.TAKEN
    try:
        posted = _post(uow_factory, client, channel, ctx, day, within, limit)
    except SlackCallFailed as exc:
        log.warning("digest of %s not posted (%s); the day is given back for the next try",
                    day, exc.failure.error)
        _release(uow_factory, day, owner)
        return DigestOutcome.FAILED
    except BaseException:
        _release(uow_factory, day, owner)
        raise
    # Settled even when nothing was posted, so that the hour's later tries post no late one.
    _done(uow_factory, day, owner, ctx, *(posted or (None, None)))
    return DigestOutcome.POSTED if posted else DigestOutcome.NOTHING


def _post(
    uow_factory: Callable[[], UnitOfWork], client: WebClient, channel: str, ctx: StatusContext,
    day: str, within: timedelta, limit: int,
) -> tuple[str, str] | None:
    """Render and post the digest: (channel id, ts), or None when nothing closes soon."""
    with uow_factory() as uow:
        soon = closing_soon(uow, ctx, within, limit)
    if not soon.items:
        # No "nothing today" message: a digest people learn to skip would hide the days that
        # matter.
        return None
    message = digest_message(soon)
    posted_in = channel

    def post() -> str:
        nonlocal posted_in
        response = call("chat.postMessage", client.chat_postMessage, channel=channel,
                        text=message.text, blocks=message.blocks,
                        metadata=mark(DIGEST_EVENT, day=day, orders=soon.total))
        posted_in = str(response["channel"])
        return str(response["ts"])

    # an earlier try may have posted it and lost the answer (its claim was given back)
    ts = post_once(client, post, lambda: find_in_channel(
        client, channel, DIGEST_EVENT, lambda payload: payload.get("day") == day),
        in_doubt=True)
    return posted_in, ts


def _done(uow_factory: Callable[[], UnitOfWork], day: str, owner: str, ctx: StatusContext,
          channel_id: str | None = None, ts: str | None = None) -> None:
    with uow_factory() as uow:
        settled = uow.digests.done(day, owner, ctx.now, channel_id, ts)
        uow.commit()
    if not settled:  # our claim went stale and was taken over: that try may post again
        log.warning("digest of %s: claim lost before it was settled", day)


def _release(uow_factory: Callable[[], UnitOfWork], day: str, owner: str) -> None:
    try:
        with uow_factory() as uow:
            uow.digests.release(day, owner)
            uow.commit()
    except Exception:  # the claim goes stale instead, and a later try takes it over
        log.exception("could not give back the digest of %s", day)
