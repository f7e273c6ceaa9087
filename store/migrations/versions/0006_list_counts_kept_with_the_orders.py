"""list counts kept with the orders

The list page's tab and status counts are sums over two small tables instead of counts over
the orders: `order_counts` per (seller, sales site, category, recovery), and
`order_day_counts` per (UTC day of the cancellation, sales site, category, recovery), for date
ranges (without the seller, so that a long range is a few thousand rows; on SQLite both
tables are WITHOUT ROWID, so a range is read in key order with its counts). Triggers on
`orders` (per row on SQLite, per statement on PostgreSQL) keep both in the transaction that
inserts, changes or deletes an order, whoever writes it (the import, a job, the order feed);
this migration fills them from the orders. Only cancelled orders with a category are
counted, as the list shows no others.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

KEY = ('seller_id', 'sales_site', 'category', 'recovery')
DAY_KEY = ('sales_site', 'category', 'recovery')
COUNTED = "{row}.category IS NOT NULL AND {row}.cancelled_at IS NOT NULL"
SQLITE_DAY = "substr({row}.cancelled_at, 1, 10)"  # naive UTC text, 'YYYY-MM-DD HH:MM:SS…'
POSTGRESQL_DAY = "to_char({row}.cancelled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def _key_columns(seller: bool = True) -> list[sa.Column[str]]:
    return ([sa.Column('seller_id', sa.String(length=64), nullable=False)] if seller else []) + [
        sa.Column('sales_site', sa.String(length=32), nullable=False),
        sa.Column('category', sa.String(length=8), nullable=False),
        sa.Column('recovery', sa.String(length=16), nullable=False)]


def upgrade() -> None:
    op.create_table('order_counts', *_key_columns(),
                    sa.Column('n', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint(*KEY), sqlite_with_rowid=False)
    op.create_table('order_day_counts', sa.Column('day', sa.String(length=10), nullable=False),
                    *_key_columns(seller=False), sa.Column('n', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('day', *DAY_KEY), sqlite_with_rowid=False)
    fill()
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in (sqlite_triggers() if sqlite else postgresql_triggers()):
        op.execute(statement)


def fill() -> None:
    """The counts of the orders as they are now."""
    day = (SQLITE_DAY if op.get_bind().dialect.name == "sqlite" else POSTGRESQL_DAY)
    keys, day_keys = ", ".join(KEY), ", ".join(DAY_KEY)
    where = COUNTED.format(row="orders")
    op.execute("DELETE FROM order_counts")
    op.execute("DELETE FROM order_day_counts")
    op.execute(f"INSERT INTO order_counts ({keys}, n) SELECT {keys}, count(*) FROM orders "
               f"WHERE {where} GROUP BY {keys}")
    op.execute(f"INSERT INTO order_day_counts (day, {day_keys}, n) "
               f"SELECT {day.format(row='orders')}, {day_keys}, count(*) FROM orders "
               f"WHERE {where} GROUP BY {day.format(row='orders')}, {day_keys}")


def _add(row: str, step: int, day: str) -> list[str]:
    """Statements adding step to the counts of row (NEW or OLD)."""
    values = ", ".join(f"{row}.{k}" for k in KEY)
    day_values = ", ".join(f"{row}.{k}" for k in DAY_KEY)
    keys, day_keys = ", ".join(KEY), ", ".join(DAY_KEY)
    return [
        f"INSERT INTO order_counts ({keys}, n) VALUES ({values}, {step}) "
        f"ON CONFLICT ({keys}) DO UPDATE SET n = order_counts.n + ({step})",
        f"INSERT INTO order_day_counts (day, {day_keys}, n) VALUES ({day.format(row=row)}, "
        f"{day_values}, {step}) ON CONFLICT (day, {day_keys}) "
        f"DO UPDATE SET n = order_day_counts.n + ({step})",
    ]


CHANGED = ("seller_id", "sales_site", "category", "recovery", "cancelled_at")


def sqlite_triggers() -> list[str]:
    def trigger(name: str, event: str, row: str, step: int) -> str:
        body = "; ".join(_add(row, step, SQLITE_DAY))
        return (f"CREATE TRIGGER {name} AFTER {event} ON orders "
                f"WHEN {COUNTED.format(row=row)} BEGIN {body}; END")
    changed = f"UPDATE OF {', '.join(CHANGED)}"
    return [trigger("order_counts_insert_0", "INSERT", "NEW", 1),
            trigger("order_counts_delete_0", "DELETE", "OLD", -1),
            trigger("order_counts_update_0", changed, "OLD", -1),
            trigger("order_counts_update_1", changed, "NEW", 1)]


def postgresql_triggers() -> list[str]:
    """Statement-level triggers over transition tables: one grouped upsert per statement, so a
    COPY or a large UPDATE changes each count row once (a row-level trigger would rewrite the
    same few rows once per order, leaving a dead tuple each time)."""
    def delta(table: str, keys: tuple[str, ...], day: bool) -> str:
        columns = ("day, " if day else "") + ", ".join(keys)
        picked = (POSTGRESQL_DAY.format(row="{rows}") + " AS day, " if day else "") + \
            ", ".join(f"{{rows}}.{k}" for k in keys)
        parts = " UNION ALL ".join(
            f"SELECT {picked.format(rows=rows)}, {step} AS d FROM {rows} "
            f"WHERE {COUNTED.format(row=rows)}"
            for rows, step in (("new_rows", 1), ("old_rows", -1)))
        return (f"INSERT INTO {table} ({columns}, n) SELECT {columns}, sum(d) FROM ({parts}) "
                f"AS changes GROUP BY {columns} HAVING sum(d) <> 0 ON CONFLICT ({columns}) "
                f"DO UPDATE SET n = {table}.n + excluded.n")

    def function(name: str, body: str) -> str:
        return (f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body}; RETURN NULL; END $$")

    both = "; ".join(delta(t, k, d) for t, k, d in (("order_counts", KEY, False),
                                                    ("order_day_counts", DAY_KEY, True)))
    # an INSERT has no old rows and a DELETE no new ones: each function reads an empty
    # stand-in for the missing side
    empty = "(SELECT * FROM orders WHERE false)"
    return [
        function("order_counts_inserted", both.replace("FROM old_rows", f"FROM {empty} old_rows")),
        function("order_counts_deleted", both.replace("FROM new_rows", f"FROM {empty} new_rows")),
        function("order_counts_updated", both),
        "CREATE TRIGGER order_counts_insert AFTER INSERT ON orders REFERENCING NEW TABLE AS "
        "new_rows FOR EACH STATEMENT EXECUTE FUNCTION order_counts_inserted()",
        "CREATE TRIGGER order_counts_delete AFTER DELETE ON orders REFERENCING OLD TABLE AS "
        "old_rows FOR EACH STATEMENT EXECUTE FUNCTION order_counts_deleted()",
        "CREATE TRIGGER order_counts_update AFTER UPDATE ON orders REFERENCING OLD TABLE AS "
        "old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
        "order_counts_updated()",
    ]


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("order_counts_insert_0", "order_counts_delete_0",
                     "order_counts_update_0", "order_counts_update_1"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS order_counts_{event} ON orders")
        for function in ("inserted", "deleted", "updated"):
            op.execute(f"DROP FUNCTION IF EXISTS order_counts_{function}()")
    op.drop_table('order_day_counts')
    op.drop_table('order_counts')
