"""The packing numbers a Slack message mentions, looked up (the message shortcut)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from domain.lookup import Lookup, look_up
from domain.model import PACKING_NO_RE
from domain.ports import UnitOfWork
from domain.status import StatusContext

SHOWN_MAX = 10  # cards shown at once; the rest are counted
WORDS_MAX = 200  # words looked up in one message: a pasted report is not a query
# a word of letters and digits (packing numbers are nothing else), not part of a longer one
_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{3,32}(?![A-Za-z0-9])")


@dataclass(frozen=True)
class Mentioned:
    """The orders a message names, in the order it names them: the first ones looked up,
    and how many more it names."""

    shown: list[Lookup]
    more: list[str] = field(default_factory=list)  # the packing numbers named after those

    @property
    def total(self) -> int:
        return len(self.shown) + len(self.more)


def candidates(text: str) -> list[str]:
    """Words that could be packing numbers (letters and digits, with at least one of each),
    upper-cased, each once, in the order they first appear."""
    seen: dict[str, None] = {}
    for match in _WORD.finditer(text or ""):
        word = match.group(0).upper()
        if PACKING_NO_RE.match(word) and not word.isdigit() and not word.isalpha():
            seen.setdefault(word, None)
    return list(seen)[:WORDS_MAX]


def look_up_mentioned(uow: UnitOfWork, text: str, ctx: StatusContext,
                      limit: int = SHOWN_MAX) -> Mentioned:
    """Every order of the book the text names: the first `limit` looked up, the rest counted."""
    known = [word for word in candidates(text) if uow.orders.get(word) is not None]
    return Mentioned([look_up(uow, word, ctx) for word in known[:limit]], known[limit:])
