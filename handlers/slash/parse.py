"""The text after `/cancelled`, read into a sub-command (the grammar of `/cancelled help`,
handlers/render/usage.py)."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.errors import InvalidPackingNumber
from domain.model import normalize_packing_no

EXAMPLE_NO = "QSP2611260001"
EXPORT_WORD = "export"


class Kind(str, enum.Enum):
    LOOKUP = "lookup"
    LIST = "list"
    EXPORT = "export"  # `list [filters] export`: the whole list as a CSV file
    HISTORY = "history"
    JOBS = "jobs"
    HELP = "help"
    USAGE = "usage"  # nothing typed, or nothing we can read


@dataclass(frozen=True)
class Parsed:
    """A sub-command and its argument; for USAGE, why the text was not understood (if it was
    not empty)."""

    kind: Kind
    arg: str = ""
    reason: str = ""


def parse_text(text: str | None) -> Parsed:
    """Read the command text: a packing number, or list (with export) / history / jobs /
    help."""
    text = (text or "").strip()
    if not text:
        return Parsed(Kind.USAGE)
    word, _, rest = text.partition(" ")
    key, rest = word.lower(), rest.strip()
    if key == "list":
        words = rest.split()
        if any(w.lower() == EXPORT_WORD for w in words):
            return Parsed(Kind.EXPORT, " ".join(w for w in words if w.lower() != EXPORT_WORD))
        return Parsed(Kind.LIST, rest)
    if key == "help":
        return Parsed(Kind.HELP)
    if key == "jobs":
        return Parsed(Kind.JOBS) if not rest else _usage(
            f"`jobs` takes nothing after it, but got `{rest}`.")
    if key == "history":
        if not rest:
            return _usage("`history` needs a packing number, "
                          f"for example `/cancelled history {EXAMPLE_NO}`.")
        return _packing_no(Kind.HISTORY, rest)
    if not any(ch.isdigit() for ch in text):
        # every packing number has digits: a word without any is a mistyped sub-command
        return _usage(f"`{word}` is not a sub-command of `/cancelled`, "
                      "nor a packing number.")
    return _packing_no(Kind.LOOKUP, text)


def _packing_no(kind: Kind, text: str) -> Parsed:
    try:
        return Parsed(kind, normalize_packing_no(text))
    except InvalidPackingNumber as error:
        return _usage(error.message)


def _usage(reason: str) -> Parsed:
    return Parsed(Kind.USAGE, reason=reason)
