"""the order feed: its cursor and lease, and the records it could not apply

`order_feed` has one row (id 1): the opaque cursor of the next page, the lease one instance
polls under (lease_owner, lease_expires_at), and how the last poll went. `feed_problems`
keeps each record that could not be applied, with its packing number, reason and when.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    feed = op.create_table(
        'order_feed',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cursor', sa.Text(), server_default='', nullable=False),
        sa.Column('lease_owner', sa.String(length=64), nullable=True),
        sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), server_default='', nullable=False),
        sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('pages', sa.Integer(), server_default='0', nullable=False),
        sa.Column('records', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(feed, [{'id': 1}])
    op.create_table(
        'feed_problems',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('packing_no', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cursor', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('feed_problems')
    op.drop_table('order_feed')
