"""recoveries through Smartship's order service

A job handed to the order service (CANCELBOT_RECOVERY_API_URL) is 'waiting': it keeps its
recovery's id at the service, when it was handed over, when to look next, and the errors in a
row with the last one. A waiting job still holds its order (rule 6), so the partial unique
index counts it as active. The one-row table `installation` holds a random id for this
database: the idempotency keys cancelbot sends (cancelbot-job-{job id}-{database id}) never
meet those of another cancelbot database sending to the same service.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

ACTIVE_BEFORE = "state IN ('awaiting_approval', 'queued', 'running')"
ACTIVE_NOW = "state IN ('awaiting_approval', 'queued', 'running', 'waiting')"
NEW_COLUMNS = ('recovery_id', 'waiting_since', 'next_poll_at', 'service_errors', 'last_error')


def _one_active_job_per_order(predicate: str) -> None:
    op.create_index('uq_jobs_one_active_per_order', 'jobs', ['order_id'], unique=True,
                    sqlite_where=sa.text(predicate), postgresql_where=sa.text(predicate))


def upgrade() -> None:
    op.add_column('jobs', sa.Column('recovery_id', sa.String(length=128), nullable=True))
    op.add_column('jobs', sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=True))
    op.add_column('jobs', sa.Column('next_poll_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('jobs', sa.Column('service_errors', sa.Integer(), server_default='0',
                                    nullable=False))
    op.add_column('jobs', sa.Column('last_error', sa.Text(), server_default='', nullable=False))
    op.drop_index('uq_jobs_one_active_per_order', 'jobs')
    _one_active_job_per_order(ACTIVE_NOW)
    installation = op.create_table(
        'installation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('database_id', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(installation, [{'id': 1, 'database_id': uuid.uuid4().hex}])


def downgrade() -> None:
    waiting = op.get_bind().scalar(sa.text("SELECT COUNT(*) FROM jobs WHERE state = 'waiting'"))
    if waiting:
        # the older schema has no way to poll them: they would never end
        raise RuntimeError(
            f"{waiting} job(s) are waiting on the order service; let them finish "
            "(`cancelbot jobs` lists them) before going back to revision 0002")
    op.drop_table('installation')
    op.drop_index('uq_jobs_one_active_per_order', 'jobs')
    _one_active_job_per_order(ACTIVE_BEFORE)
    for column in NEW_COLUMNS:
        op.drop_column('jobs', column)
