"""orders.updated_at: when Smartship last changed an order

An import or the order feed compares a copy's updated_at with the stored one (rule 11): a newer
copy updates the order, an equal or older one changes nothing. Orders stored before this
revision have none, so any dated copy of them is newer.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('orders', sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute("UPDATE jobs SET state = 'rejected' WHERE state = 'withdrawn'")
    op.drop_column('orders', 'updated_at')
