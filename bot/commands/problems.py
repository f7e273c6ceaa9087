"""Messages for the failures every sub-command that opens the database can meet."""
from __future__ import annotations

from sqlalchemy.exc import DBAPIError


def database_unusable(exc: DBAPIError, verb: str = "read") -> str:
    """One line saying why the database could not be used, and the likely fix."""
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return (f"Cannot {verb} the database ({reason}); if it is new, run "
            "`cancelbot db upgrade` first.")
