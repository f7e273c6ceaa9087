"""The floor of bench/jobs.py: trivial rows taken one per transaction, the least a queue that
hands out each row exactly once can do on a database (what a job's claim to commit is read
against)."""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import text

from store.db import make_engine

CHUNK = 1000


def floor_rows(url: str, n: int) -> None:
    """n free trivial rows for the floor, in a table of their own."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_floor"))
        conn.execute(text("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, "
                          "taken BOOLEAN NOT NULL, owner VARCHAR(64))"))
        conn.execute(text("CREATE INDEX ix_bench_floor_free ON bench_floor (id) WHERE NOT taken"))
        for start in range(0, n, CHUNK):
            conn.execute(text("INSERT INTO bench_floor (id, taken) VALUES (:id, false)"),
                         [{"id": i} for i in range(start, min(n, start + CHUNK))])
    engine.dispose()


def bare(url: str, owner: str, now: datetime, ready: Any, go: Any, results: Any) -> None:
    """One floor process: take the first free row, mark it taken, commit; until none is left."""
    engine = make_engine(url)
    lock = " FOR UPDATE SKIP LOCKED" if engine.dialect.name == "postgresql" else ""
    take = text(f"SELECT id FROM bench_floor WHERE NOT taken ORDER BY id LIMIT 1{lock}")
    mark = text("UPDATE bench_floor SET taken = true, owner = :owner WHERE id = :id")
    with engine.connect() as conn:  # connected before the clock starts
        conn.execute(text("SELECT 1"))
    ready.wait()
    go.wait()
    ran = 0
    while True:
        with engine.begin() as conn:
            row = conn.execute(take).first()
            if row is None:
                break
            conn.execute(mark, {"id": row[0], "owner": owner})
        ran += 1
    results.put((owner, ran, time.monotonic(), 0, 0.0))
    engine.dispose()
