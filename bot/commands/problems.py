"""Messages for the failures every sub-command that opens the database can meet: one line each,
never a traceback, and never the SQL or its parameters (they hold recipients' names)."""
from __future__ import annotations

from sqlalchemy.exc import DBAPIError, SQLAlchemyError


def database_unusable(exc: SQLAlchemyError, verb: str = "read", upgrade_hint: bool = True) -> str:
    """One line saying why the database could not be used, and the likely fix."""
    if never_connected(exc):
        return f"Cannot {verb} the database ({reason(exc)}); {unreachable_fix(exc)}."
    if upgrade_hint:
        return (f"Cannot {verb} the database ({reason(exc)}); if it is new, run "
                "`cancelbot db upgrade` first.")
    return f"Cannot {verb} the database ({reason(exc)})."


def never_connected(exc: SQLAlchemyError) -> bool:
    """The error came from opening a connection, not from a statement (SQLAlchemy gives a
    failed connect no statement)."""
    return isinstance(exc, DBAPIError) and exc.statement is None


def unreachable_fix(exc: SQLAlchemyError) -> str:
    """What to check when no connection could be opened."""
    if type(getattr(exc, "orig", None)).__module__.startswith("sqlite3"):
        return "check DATABASE_URL and that the SQLite file's folder exists"
    return "check DATABASE_URL and that the database server is running"


def reason(exc: SQLAlchemyError) -> str:
    """The driver's own first line; str(exc) would add the SQL and its parameters."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return type(exc).__name__
    first = (str(orig).strip().splitlines() or [""])[0].strip()
    return first or type(orig).__name__
