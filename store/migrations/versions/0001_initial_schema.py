"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY_MESSAGE = "audit_events is append-only"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"""
    for verb in ("UPDATE", "DELETE")
]

POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
]


def _append_only_audit() -> None:
    """The audit trail refuses UPDATE and DELETE at the database, not only in our code."""
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect, []):
        op.execute(statement)


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('packing_no', sa.String(length=32), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_audit_events_packing_no', 'audit_events', ['packing_no'], unique=False)
    op.create_index('ix_audit_events_request_id', 'audit_events', ['request_id'], unique=False)

    op.create_table('digests',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel_id', sa.String(length=64), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('day')
    )

    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('packing_no', sa.String(length=32), nullable=False),
    sa.Column('seller_id', sa.String(length=64), nullable=False),
    sa.Column('sales_site', sa.String(length=32), nullable=False),
    sa.Column('sales_order_no', sa.String(length=64), nullable=False),
    sa.Column('origin', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=12), nullable=True),
    sa.Column('category', sa.String(length=8), nullable=True),
    sa.Column('payment_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('items', sa.Text(), nullable=False),
    sa.Column('recovery', sa.String(length=16), nullable=False),
    sa.Column('superseded_by', sa.String(length=32), nullable=True),
    sa.Column('resynced_from', sa.String(length=32), nullable=True),
    sa.Column('created_by_job', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('created_by_job'),
    sa.UniqueConstraint('packing_no')
    )
    op.create_index('ix_orders_cancelled_at', 'orders', ['cancelled_at', 'id', 'category', 'recovery', 'sales_site'], unique=False)
    op.create_index('ix_orders_category_recovery', 'orders', ['category', 'recovery'], unique=False, sqlite_where=sa.text("recovery IS NOT NULL"), postgresql_where=sa.text("recovery IS NOT NULL"))
    op.create_index('ix_orders_sales_order', 'orders', ['sales_site', 'sales_order_no', 'seller_id'], unique=False)
    op.create_index('ix_orders_seller_cancelled', 'orders', ['seller_id', 'cancelled_at', 'category', 'recovery', 'sales_site'], unique=False)
    op.create_index('ix_orders_site_cancelled', 'orders', ['sales_site', 'cancelled_at', 'category', 'recovery'], unique=False)

    op.create_table('packing_sequences',
    sa.Column('day', sa.String(length=8), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reject_reason', sa.Text(), nullable=False),
    sa.Column('channel_id', sa.String(length=64), nullable=True),
    sa.Column('message_ts', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('sales_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sales_site', sa.String(length=32), nullable=False),
    sa.Column('sales_order_no', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('payment_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('items', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sales_site', 'sales_order_no')
    )
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('packing_no', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('failure_code', sa.String(length=32), nullable=True),
    sa.Column('failure_detail', sa.Text(), nullable=False),
    sa.Column('result_packing_no', sa.String(length=32), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('prior_recovery', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_jobs_order', 'jobs', ['order_id', 'id'], unique=False)
    op.create_index('ix_jobs_request', 'jobs', ['request_id'], unique=False)
    op.create_index('ix_jobs_state_id', 'jobs', ['state', 'id'], unique=False)
    op.create_index('uq_jobs_one_active_per_order', 'jobs', ['order_id'], unique=True, sqlite_where=sa.text("state IN ('awaiting_approval', 'queued', 'running')"), postgresql_where=sa.text("state IN ('awaiting_approval', 'queued', 'running')"))

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_ts', sa.String(length=32), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_outbox_pending', 'outbox', ['delivered_at', 'next_attempt_at'], unique=False)
    _append_only_audit()



def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    op.drop_index('ix_outbox_pending', 'outbox')

    op.drop_table('outbox')
    op.drop_index('uq_jobs_one_active_per_order', 'jobs', sqlite_where=sa.text("state IN ('awaiting_approval', 'queued', 'running')"), postgresql_where=sa.text("state IN ('awaiting_approval', 'queued', 'running')"))
    op.drop_index('ix_jobs_state_id', 'jobs')
    op.drop_index('ix_jobs_request', 'jobs')
    op.drop_index('ix_jobs_order', 'jobs')

    op.drop_table('jobs')
    op.drop_table('sales_orders')
    op.drop_table('requests')
    op.drop_table('packing_sequences')
    op.drop_index('ix_orders_site_cancelled', 'orders')
    op.drop_index('ix_orders_seller_cancelled', 'orders')
    op.drop_index('ix_orders_sales_order', 'orders')
    op.drop_index('ix_orders_category_recovery', 'orders', sqlite_where=sa.text("recovery IS NOT NULL"), postgresql_where=sa.text("recovery IS NOT NULL"))
    op.drop_index('ix_orders_cancelled_at', 'orders')

    op.drop_table('orders')
    op.drop_index('ix_audit_events_request_id', 'audit_events')
    op.drop_index('ix_audit_events_packing_no', 'audit_events')

    op.drop_table('audit_events')
    op.drop_table('digests')
