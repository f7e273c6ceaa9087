"""New packing numbers for resynced orders, unique also when generated concurrently."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import OrderRow, PackingSequenceRow

PACKING_PREFIX = "QSP"


class SqlPackingNumbers:
    """QSP + yymmdd + a daily serial from an upserted counter row, skipping numbers in use."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _next_serial(self, day: str) -> int:
        dialect = self.session.get_bind().dialect.name
        module = postgresql if dialect == "postgresql" else sqlite
        table = PackingSequenceRow.__table__
        stmt = module.insert(table).values(day=day, last=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.day], set_={"last": table.c.last + 1}
        ).returning(table.c.last)
        return int(self.session.execute(stmt).scalar_one())

    def allocate(self, now: datetime) -> str:
        day = now.strftime("%y%m%d")
        while True:
            candidate = f"{PACKING_PREFIX}{day}{self._next_serial(day):04d}"
            taken = self.session.scalar(
                select(exists().where(OrderRow.packing_no == candidate))
            )
            if not taken:
                return candidate
