"""a failed job allows a new request

Rule 5: whatever made a job fail, inside the window the order is Failed to Resync / Failed to
Recover and may be requested again. Orders stored as 'failed_final' (a claim, a delivery, a
sales order cancelled at the sales site, a closed window, a site not ready) become
'failed_retry'; those whose resync found the sales order cancelled at the sales site move to
Sales Site Order Cancel (cancelled_by 'sales_site'). Results not yet posted to Slack are
reworded so they no longer say that a new request will not help.

The texts below are frozen here on purpose: a migration says what was true when it was written.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


# the failure code of each order's latest failed job
LATEST_FAILURE = """(SELECT j.failure_code FROM jobs j WHERE j.order_id = orders.id
    AND j.id = (SELECT MAX(f.id) FROM jobs f WHERE f.order_id = orders.id AND f.state = 'failed'))"""

WAS_FINAL = ('on_claim', 'in_delivery', 'window_closed', 'site_not_ready')

OLD_ADVICE = "; a new request will not help."
NEW_ADVICE = {  # failure code: (the text that replaces OLD_ADVICE, a new request may follow)
    'on_claim': (". Check the claim on the sales site first: once it is withdrawn or closed, "
                 "a new request is allowed.", True),
    'in_delivery': (". Check the delivery on the sales site first: once it is called off, "
                    "a new request is allowed.", True),
    'site_not_ready': (". A new request is allowed once the service is ready.", True),
    'cancelled_at_sales_site': (". The order moved to the Sales Site Order Cancel tab and can "
                                "no longer be resynced or restored.", False),
    'window_closed': (". No new request can be made.", False),
}


def upgrade() -> None:
    op.execute(f"""UPDATE orders SET cancelled_by = 'sales_site', category = 'site',
        recovery = 'failed_retry'
        WHERE recovery = 'failed_final' AND category = 'api'
        AND {LATEST_FAILURE} = 'cancelled_at_sales_site'""")
    op.execute("UPDATE orders SET recovery = 'failed_retry' WHERE recovery = 'failed_final'")
    op.execute("UPDATE jobs SET prior_recovery = 'failed_retry' "
               "WHERE prior_recovery = 'failed_final'")
    _reword_unposted_results()


def _reword_unposted_results() -> None:
    outbox = sa.table('outbox', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                      sa.column('payload', sa.JSON), sa.column('delivered_at', sa.DateTime))
    bind = op.get_bind()
    rows = bind.execute(sa.select(outbox.c.id, outbox.c.payload).where(
        outbox.c.kind == 'job_result', outbox.c.delivered_at.is_(None))).all()
    for row_id, payload in rows:
        reworded = _reworded(payload)
        if reworded != payload:
            bind.execute(outbox.update().where(outbox.c.id == row_id).values(payload=reworded))


def _reworded(payload: dict[str, Any]) -> dict[str, Any]:
    advice = NEW_ADVICE.get(payload.get('failure_code') or '')
    reason = payload.get('reason') or ''
    if advice is None or not reason.endswith(OLD_ADVICE):
        return payload
    text, retryable = advice
    return {**payload, 'reason': reason[:-len(OLD_ADVICE)] + text, 'retryable': retryable}


def downgrade() -> None:
    # the orders 0002 changed, told apart by their latest failed job (results already
    # reworded stay as they are)
    op.execute(f"""UPDATE orders SET cancelled_by = 'seller', category = 'api',
        recovery = 'failed_final'
        WHERE recovery = 'failed_retry' AND category = 'site'
        AND {LATEST_FAILURE} = 'cancelled_at_sales_site'""")
    codes = ", ".join(f"'{code}'" for code in WAS_FINAL)
    op.execute(f"""UPDATE orders SET recovery = 'failed_final'
        WHERE recovery = 'failed_retry' AND {LATEST_FAILURE} IN ({codes})""")
