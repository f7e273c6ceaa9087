"""What the HTTP adapters (sales site, order service, order feed) share: reading an answer's
body within a deadline and a size limit, and the error for an answer that cannot be used."""
from __future__ import annotations

import http.client
import time

MAX_BODY_BYTES = 1 << 20  # the answers are a few hundred bytes; more is not an answer
CHUNK_BYTES = 64 * 1024


def unreachable_text(name: str, timeout: float, reason: object) -> str:
    """Why a service named name could not be asked, in words: a timeout, a refused
    connection, or whatever the network said."""
    if isinstance(reason, TimeoutError):
        return f"{name} timed out after {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return f"{name} refused the connection"
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return f"could not reach {name}: {text}"


class UnusableAnswer(ValueError):
    """A successful status whose body cannot be read as what the contract promises."""


def read_body(response: http.client.HTTPResponse, deadline: float,
              timed_out: Exception, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, read in chunks so that a server sending it slowly still meets the deadline;
    raises timed_out past the deadline and UnusableAnswer past limit bytes."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(CHUNK_BYTES):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise UnusableAnswer(f"the answer is larger than {limit} bytes")
        if time.monotonic() > deadline:
            raise timed_out
    return b"".join(chunks)
