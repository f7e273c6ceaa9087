"""Errors a person can read: each one says what went wrong and what to do."""
from __future__ import annotations

import re

SHOWN_CHARS = 40
# control characters (NUL, escapes a terminal would run, ...) and lone surrogates
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def shown(value: str, limit: int = SHOWN_CHARS) -> str:
    """A value as an error message quotes it: control characters written out as \\xNN, and
    cut short after `limit` characters."""
    cut = value if len(value) <= limit else value[:limit] + "…"
    return CONTROL_CHARS.sub(_escaped, cut)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class DomainError(Exception):
    """A refusal that is the user's to act on; its message is shown as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidPackingNumber(DomainError):
    def __init__(self, text: str) -> None:
        super().__init__(
            f"`{shown(text.strip())}` is not a packing number: use letters and digits only, "
            "for example `QSP2611260001`."
        )
        self.text = text


class OrderNotFound(DomainError):
    def __init__(self, packing_no: str) -> None:
        super().__init__(f"No order has the packing number {packing_no}.")
        self.packing_no = packing_no


class RequestNotAllowed(DomainError):
    """A resync or restore cannot be requested for this order now."""


class ActiveRequestExists(RequestNotAllowed):
    def __init__(self, packing_no: str, request_id: int | None = None) -> None:
        ref = f" (request #{request_id})" if request_id else ""
        super().__init__(
            f"{packing_no} already has a request in progress{ref}; "
            "wait for it to be decided and run before asking again."
        )
        self.packing_no = packing_no
        self.request_id = request_id


class RequestNotFound(DomainError):
    def __init__(self, request_id: int) -> None:
        super().__init__(f"There is no request #{request_id}.")
        self.request_id = request_id


class AlreadyDecided(DomainError):
    def __init__(self, request_id: int, decision: str, by: str | None) -> None:
        who = f" by {by}" if by else ""
        super().__init__(f"Request #{request_id} was already {decision}{who}.")
        self.request_id = request_id
        self.decision = decision
        self.by = by


class NotOnRequestMessage(DomainError):
    """A decision clicked on a message other than the request's own (a copy, a forgery)."""

    def __init__(self, request_id: int) -> None:
        super().__init__(
            f"That button is not on request #{request_id}'s message, so nothing was changed. "
            "Use the Approve and Reject buttons on the request message itself."
        )
        self.request_id = request_id


class NotAnApprover(DomainError):
    def __init__(self, user_id: str) -> None:
        super().__init__("Only the configured approvers can approve or reject requests.")
        self.user_id = user_id


class SelfApprovalNotAllowed(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "You made this request, so someone else has to approve or reject it."
        )


class IllegalTransition(Exception):
    """A programming error: a job was moved along an edge the state machine does not have."""

    def __init__(self, kind: str, current: str, target: str) -> None:
        super().__init__(f"{kind} cannot go from {current} to {target}")
        self.current = current
        self.target = target


class SalesSiteUnavailable(Exception):
    """The sales site did not answer usefully (timeout, connection error, server error)."""


class RecoveryServiceUnavailable(Exception):
    """The order service gave no usable answer (timeout, connection error, a status other
    than the contract's, a body that is not a recovery); the message says which."""


class FeedUnavailable(Exception):
    """The order feed gave no usable page (timeout, connection error, a status other than 200,
    a body that is not a page); the message says which. The page is asked for again next tick."""


class BadFilter(DomainError):
    """A list filter word that cannot be read; the message names it and the accepted forms."""

    def __init__(self, word: str, message: str) -> None:
        super().__init__(message)
        self.word = word
