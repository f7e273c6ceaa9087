"""The usage of `/cancelled`: every sub-command with an example, and the list filters."""
from __future__ import annotations

from handlers.render.listing import filter_forms
from handlers.render.mrkdwn import FALLBACK_TEXT_MAX, Rendered, escape, section, truncate

COMMAND = "/cancelled"
REASON_MAX = 500
SUBCOMMANDS = (
    # (what to type, what it does, an example)
    ("PACKING_NO", "look up a cancelled order: its status, deadline and the request it allows "
     "(spaces and letter case do not matter)", "QSP2611260001"),
    ("list [api|excel|site] [status:…] [seller:…] [site:…] [from:DATE] [to:DATE]",
     "list cancelled orders by tab with their counts, a page at a time",
     "list api status:resync_available from:7d"),
    ("list [filters] export", "the whole filtered list (every page, up to 100,000 orders) as "
     "a CSV file sent to you in a direct message", "list excel from:30d export"),
    ("history PACKING_NO", "who asked, who decided and what happened to an order",
     "history QSP2611260001"),
    ("jobs", "resyncs and restores queued or running, and results not yet in their thread",
     "jobs"),
    ("help", "this help", "help"),
)


def usage_message(reason: str | None = None) -> Rendered:
    """The full usage, after a one-line reason when the input could not be read."""
    lines = [f"• `{COMMAND} {usage}`: {what}. Example: `{COMMAND} {example}`"
             for usage, what, example in SUBCOMMANDS]
    blocks = []
    if reason:
        blocks.append(section(f":grey_question: {escape(truncate(reason, REASON_MAX))}"))
    blocks.append(section(f"*Usage of `{COMMAND}`*\n" + "\n".join(lines)))
    blocks.append(section(filter_forms()))
    names = ", ".join(f"{COMMAND} {usage}" for usage, _, _ in SUBCOMMANDS)
    text = (f"{truncate(reason, REASON_MAX)} " if reason else "") + f"Usage: {names}"
    return Rendered(truncate(text, FALLBACK_TEXT_MAX), blocks)
