"""What the HTTP adapters (sales site, order service, order feed) share: one exchange with a
service, its answer's body read within a deadline and a size limit, and its failures (a
timeout, a refused connection, an answer that cannot be used) said in words."""
from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

MAX_BODY_BYTES = 1 << 20  # the answers are a few hundred bytes; more is not an answer
CHUNK_BYTES = 64 * 1024


def unreachable_text(name: str, timeout: float, reason: object,
                     reached_as: str | None = None) -> str:
    """Why a service named name could not be asked, in words: a timeout, a refused
    connection, or whatever the network said (after "could not reach", the service is named
    reached_as when given: "the tmon sales site" where the subject is "tmon sales site")."""
    if isinstance(reason, TimeoutError):
        return f"{name} timed out after {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return f"{name} refused the connection"
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return f"could not reach {reached_as or name}: {text}"


class UnusableAnswer(ValueError):
    """A successful status whose body cannot be read as what the contract promises."""


def json_object(body: bytes) -> dict[str, Any]:
    """The body as the JSON object every contract answers with; UnusableAnswer otherwise."""
    try:
        data = json.loads(body)
    except ValueError:
        raise UnusableAnswer("the answer is not JSON") from None
    if not isinstance(data, dict):
        raise UnusableAnswer("the answer is not a JSON object")
    return data


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


class Unanswered(Exception):
    """No usable exchange with a service; the message says why in plain words."""


def exchange(open_url: Callable[..., Any], request: urllib.request.Request, timeout: float,
             name: str, limit: int = MAX_BODY_BYTES, *,
             reached_as: str | None = None) -> tuple[int, bytes]:
    """(status, body) of request sent through open_url (urlopen, or an opener's open); a
    status other than 2xx comes back with an empty body, and Unanswered says why there was no
    answer at all (a timeout, a refused connection, a body past limit or past the deadline),
    naming the service as unreachable_text does."""
    deadline = time.monotonic() + timeout
    try:
        with open_url(request, timeout=timeout) as response:
            return response.status, read_body(response, deadline, TimeoutError(), limit)
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, b""
    except UnusableAnswer as exc:
        raise Unanswered(f"{name} gave an unusable answer: {exc}") from None
    except urllib.error.URLError as exc:
        raise Unanswered(unreachable_text(name, timeout, exc.reason, reached_as)) from exc
    except (OSError, http.client.HTTPException) as exc:  # TimeoutError included
        raise Unanswered(unreachable_text(name, timeout, exc, reached_as)) from exc
