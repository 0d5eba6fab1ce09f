"""Background sweeps at scale (`make bench`, PostgreSQL): due-reminder selection over the seeded
envelopes and a retention purge of an organization of its own. Run `python bench/sweeps --help`."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Spread:
    """Timings in seconds: how many, median, 95th percentile (nearest rank) and worst."""

    n: int
    p50: float
    p95: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        ordered = sorted(values)
        if not ordered:
            return cls(0, 0.0, 0.0, 0.0)
        return cls(len(ordered), _rank(ordered, 0.5), _rank(ordered, 0.95), ordered[-1])

    def ms(self) -> str:
        return f"p50 {self.p50 * 1000:8.1f} ms   p95 {self.p95 * 1000:8.1f} ms   max {self.max * 1000:8.1f} ms"


def _rank(ordered: list[float], quantile: float) -> float:
    return ordered[max(0, math.ceil(quantile * len(ordered)) - 1)]


def analyze(*models) -> None:
    """Fresh planner statistics for the tables of `models` (PostgreSQL), as autovacuum would have made
    them by the time a sweep runs on a live system; bulk-loaded tables have none or stale ones."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {model._meta.db_table}")
