"""Timing and query counting for one operation at a time."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection


class QueryCounter:
    """Counts the SQL statements run on the default connection (an execute wrapper: no SQL kept)."""

    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] | None = None

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        if self.statements is not None:
            self.statements.append(sql)
        return execute(sql, params, many, context)


@contextmanager
def counting(keep_sql: bool = False):
    counter = QueryCounter()
    if keep_sql:
        counter.statements = []
    with connection.execute_wrapper(counter):
        yield counter


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 500 samples is the 475th smallest)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5 - 1e-9)))
    return ordered[rank - 1]


@dataclass
class Samples:
    """Milliseconds and query counts of repeated runs of one operation."""

    name: str
    ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    def run(self, operation: Callable[[], Any]) -> Any:
        with counting() as counter:
            started = time.perf_counter()
            result = operation()
            elapsed = time.perf_counter() - started
        self.ms.append(elapsed * 1000)
        self.queries.append(counter.count)
        return result

    def summary(self) -> dict:
        if not self.ms:
            return {"operations": 0}
        return {
            "operations": len(self.ms),
            "queries": max(self.queries),
            "queries_min": min(self.queries),
            "median_ms": round(statistics.median(self.ms), 3),
            "p95_ms": round(percentile(self.ms, 0.95), 3),
            "ops_per_s": round(len(self.ms) / (sum(self.ms) / 1000), 1),
        }
