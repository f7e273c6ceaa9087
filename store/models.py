"""The tables, as SQLAlchemy 2 typed models; enums are kept as their short string values."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.db import UTCDateTime

ACTIVE_JOB_STATES_SQL = "state IN ('awaiting_approval', 'queued', 'running', 'waiting')"
COUNTED_ORDERS_SQL = "recovery IS NOT NULL"  # always true: the column is NOT NULL


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, str: String(64), dict[str, Any]: JSON}


class OrderRow(Base):
    """Active and cancelled orders; a cancelled delivery is a row with cancelled_at set."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    packing_no: Mapped[str] = mapped_column(String(32), unique=True)
    seller_id: Mapped[str]
    sales_site: Mapped[str] = mapped_column(String(32))
    sales_order_no: Mapped[str]
    origin: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(10))
    stage: Mapped[str | None] = mapped_column(String(16))
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(12))
    # derived from origin and cancelled_by on write, so that tabs can be counted from an index
    category: Mapped[str | None] = mapped_column(String(8))
    payment_at: Mapped[datetime | None]
    recipient: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[str] = mapped_column(Text, default="")
    recovery: Mapped[str] = mapped_column(String(16), default="none")
    superseded_by: Mapped[str | None] = mapped_column(String(32))
    resynced_from: Mapped[str | None] = mapped_column(String(32))
    created_by_job: Mapped[int | None] = mapped_column(Integer, unique=True)
    # when Smartship last changed the order (migration 0004); None: imported without the date
    updated_at: Mapped[datetime | None]

    __table_args__ = (
        # the whole book's tab and status counts, one (category, recovery) range at a time;
        # narrow so that it is small (PostgreSQL deduplicates its few distinct keys), and
        # partial on a predicate only those counts state, because SQLite's planner would
        # otherwise pick it for its GROUP BY order in filtered counts and read every row
        Index("ix_orders_category_recovery", "category", "recovery",
              sqlite_where=text(COUNTED_ORDERS_SQL), postgresql_where=text(COUNTED_ORDERS_SQL)),
        # the list page ordered by cancellation time; the trailing columns let the counts of
        # a date range, a seller or a site (and of the open window) read the index alone
        Index("ix_orders_cancelled_at", "cancelled_at", "id", "category", "recovery",
              "sales_site"),
        Index("ix_orders_seller_cancelled", "seller_id", "cancelled_at", "category", "recovery",
              "sales_site"),
        Index("ix_orders_site_cancelled", "sales_site", "cancelled_at", "category", "recovery"),
        Index("ix_orders_sales_order", "sales_site", "sales_order_no", "seller_id"),
    )


class OrderCountRow(Base):
    """How many cancelled orders share a seller, a sales site, a category and a recovery: the
    list's counts without a date filter. Kept by triggers on orders (migration 0006)."""

    __tablename__ = "order_counts"

    seller_id: Mapped[str] = mapped_column(primary_key=True)
    sales_site: Mapped[str] = mapped_column(String(32), primary_key=True)
    category: Mapped[str] = mapped_column(String(8), primary_key=True)
    recovery: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int]

    __table_args__ = {"sqlite_with_rowid": False}  # the counts are read from the key's order


class OrderDayCountRow(Base):
    """The same per UTC day of the cancellation ('YYYY-MM-DD'), without the seller: the counts
    of date ranges."""

    __tablename__ = "order_day_counts"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    sales_site: Mapped[str] = mapped_column(String(32), primary_key=True)
    category: Mapped[str] = mapped_column(String(8), primary_key=True)
    recovery: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int]

    __table_args__ = {"sqlite_with_rowid": False}


class SalesOrderRow(Base):
    """The embedded sales site: sales orders as the marketplaces hold them."""

    __tablename__ = "sales_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    sales_site: Mapped[str] = mapped_column(String(32))
    sales_order_no: Mapped[str]
    status: Mapped[str] = mapped_column(String(16))
    payment_at: Mapped[datetime | None]
    recipient: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("sales_site", "sales_order_no"),)


class RequestRow(Base):
    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(8))
    requested_by: Mapped[str]
    requested_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by: Mapped[str | None]
    decided_at: Mapped[datetime | None]
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    channel_id: Mapped[str | None]
    message_ts: Mapped[str | None]
    reminded_at: Mapped[datetime | None]  # migration 0007: the one reminder (rule 14)


class JobRow(Base):
    """One order's share of a request; the partial unique index is rule 6."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    packing_no: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(20))
    failure_code: Mapped[str | None] = mapped_column(String(32))
    failure_detail: Mapped[str] = mapped_column(Text, default="")
    result_packing_no: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(default=0)
    prior_recovery: Mapped[str] = mapped_column(String(16), default="none")
    created_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None]
    lease_expires_at: Mapped[datetime | None]
    # a job waiting on the order service (migration 0003); defaults on the server only, so
    # that tests inserting rows as older revisions' code did leave these columns out
    recovery_id: Mapped[str | None] = mapped_column(String(128))
    waiting_since: Mapped[datetime | None]
    next_poll_at: Mapped[datetime | None]
    service_errors: Mapped[int] = mapped_column(server_default="0")
    last_error: Mapped[str] = mapped_column(Text, server_default="")

    __table_args__ = (
        Index("uq_jobs_one_active_per_order", "order_id", unique=True,
              sqlite_where=text(ACTIVE_JOB_STATES_SQL),
              postgresql_where=text(ACTIVE_JOB_STATES_SQL)),
        Index("ix_jobs_state_id", "state", "id"),
        Index("ix_jobs_request", "request_id"),
        Index("ix_jobs_order", "order_id", "id"),
    )


class AuditRow(Base):
    """Append-only: the migration adds triggers that refuse UPDATE and DELETE."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str]
    kind: Mapped[str] = mapped_column(String(32))
    packing_no: Mapped[str | None] = mapped_column(String(32), index=True)
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    job_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")


class OutboxRow(Base):
    """A thread message waiting to be delivered (or delivered, with when)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    delivered_ts: Mapped[str | None] = mapped_column(String(32))  # the reply's Slack ts
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None]
    lease_expires_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "next_attempt_at"),)


class PackingSequenceRow(Base):
    """The last serial handed out per day for generated packing numbers."""

    __tablename__ = "packing_sequences"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int]


class DigestRow(Base):
    """One row per business day: who claimed that day's digest, and what became of it.

    The insert of the day's row is the claim (the primary key lets one process win);
    done_at is set once the digest is posted, or once it is clear nothing closes soon.
    """

    __tablename__ = "digests"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, business zone
    claimed_by: Mapped[str]
    claimed_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    channel_id: Mapped[str | None]
    message_ts: Mapped[str | None] = mapped_column(String(32))  # None: nothing was posted


class InstallationRow(Base):
    """One row, written by migration 0003: a random id for this database, so that the
    idempotency keys of two cancelbot databases sending to one order service never meet."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    database_id: Mapped[str] = mapped_column(String(32))


class OrderFeedRow(Base):
    """One row, written by migration 0005: where the order feed stands and who polls it.

    The lease (lease_owner, lease_expires_at) is taken with a conditional UPDATE, so one
    instance polls at a time; the cursor moves in the transaction that applies its page."""

    __tablename__ = "order_feed"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    cursor: Mapped[str] = mapped_column(Text, server_default="")
    lease_owner: Mapped[str | None]
    lease_expires_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, server_default="")
    last_error_at: Mapped[datetime | None]
    pages: Mapped[int] = mapped_column(server_default="0")
    records: Mapped[int] = mapped_column(server_default="0")


class FeedProblemRow(Base):
    """A record of the order feed that could not be applied (the feed went on without it)."""

    __tablename__ = "feed_problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    packing_no: Mapped[str] = mapped_column(Text, default="")  # as given, shown; may be ""
    reason: Mapped[str] = mapped_column(Text)
    seen_at: Mapped[datetime]
    cursor: Mapped[str] = mapped_column(Text, default="")  # the `since` of its page
