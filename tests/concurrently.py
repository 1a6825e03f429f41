"""Run test code at once from several threads, each on its own database connection, as several requests would: for
the tests that need two transactions to meet (locks, chains, stale pages)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import connection


def at_once(*bodies: Callable[[], None], timeout: float = 60.0) -> list[BaseException]:
    """Start every body in a thread of its own, wait for all, and return what any of them raised. Each thread's
    connection is closed when it ends, so the test's database can be flushed."""
    errors: list[BaseException] = []

    def run(body: Callable[[], None]) -> None:
        try:
            body()
        except BaseException as error:  # returned to the test, which asserts on it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    errors.extend(TimeoutError(f"still running after {timeout:.0f}s") for thread in threads if thread.is_alive())
    return errors


def lock_waiters(kind: str = "") -> int:
    """How many lock requests are waiting now (of one `locktype`, e.g. "advisory", if given)."""
    with connection.cursor() as cursor:
        if kind:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = %s", [kind])
        else:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return int(cursor.fetchone()[0])


def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait until the condition holds or the time is up (the test's own assertions then say what went wrong)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
