"""Real concurrency for tests: functions started at the same instant on threads of their own."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def run_together(functions: list[Callable[[], Any]], *, timeout: float = 60) -> list:
    """Run every function on its own thread (and so its own database connection), released
    together by a barrier. Returns each one's result, or the exception it raised, in order."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def worker(index: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = fn()
        except Exception as exc:  # returned to the test, which asserts on it
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results
