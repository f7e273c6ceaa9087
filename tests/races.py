"""Several things done at the same moment, each on a thread (and engine) of its own, as two
people clicking at once or two worker processes would do them."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.integration.builders import Database

RACE_TIMEOUT = 60.0  # seconds; only reached when a racer hangs, which fails the test


def together(*calls: Callable[[], Any], timeout: float = RACE_TIMEOUT) -> list[Any]:
    """Run each call on its own thread, all released at once by a barrier; what each
    returned, or the exception it raised, in the order of the calls."""
    barrier = threading.Barrier(len(calls), timeout=timeout)
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - the test looks at every outcome
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return results


def failures(results: list[Any]) -> list[Exception]:
    """The exceptions among the results of together()."""
    return [r for r in results if isinstance(r, Exception)]


@contextmanager
def engines_of_their_own(url: str, count: int = 2) -> Iterator[list[Database]]:
    """count engines on one database, each already connected, disposed of at the end."""
    databases = [Database(url) for _ in range(count)]
    try:
        for database in databases:
            database.engine.connect().close()
        yield databases
    finally:
        for database in databases:
            database.dispose()
