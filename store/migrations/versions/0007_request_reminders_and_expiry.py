"""request reminders and expiry

A request still awaiting approval when its order's window closes within 24 hours gets one
reminder in its thread: `reminded_at` records it, written by a conditional UPDATE so that of
several bot processes only one reminds. A request nobody decided before the window closed
gets the decision 'expired' and its jobs the state 'expired' (both plain strings: no schema
change).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('requests', sa.Column('reminded_at', sa.DateTime(timezone=True),
                                        nullable=True))


def downgrade() -> None:
    # the older code knows no 'expired': it reads them as the rejections by the bot they are
    op.execute("UPDATE requests SET decision = 'rejected' WHERE decision = 'expired'")
    op.execute("UPDATE jobs SET state = 'rejected' WHERE state = 'expired'")
    op.drop_column('requests', 'reminded_at')
