"""Admin changelists for tables with millions of rows. Django's paginator counts every matching row
on every page (SELECT COUNT(*)), which at a million rows costs more than the page itself. For a
result the planner expects to be large, its estimate is shown instead; smaller ones are counted, but
never past EXACT_BELOW rows. Use `LargeTableAdmin` (or `paginator = EstimatedCountPaginator` together with
`show_full_result_count = False`) on any ModelAdmin of a big table."""

from __future__ import annotations

import json

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Below this many rows (by the estimate) an exact count is cheap enough.
EXACT_BELOW = 10_000


def planner_estimate(queryset: QuerySet) -> int | None:
    """PostgreSQL's estimate of how many rows `queryset` returns, from EXPLAIN (nothing is read);
    None on other databases."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        """The planner's estimate for large results; otherwise a count that stops after EXACT_BELOW
        rows, since an estimate can be far too low (a search term the statistics know nothing about)
        and an unbounded count would then read every match. Past the cap, EXACT_BELOW + 1 stands for
        "more than EXACT_BELOW"."""
        if not isinstance(self.object_list, QuerySet):
            return super().count
        estimate = planner_estimate(self.object_list)
        if estimate is not None and estimate >= EXACT_BELOW:
            return estimate
        return self.object_list.order_by()[: EXACT_BELOW + 1].count()


class LargeTableAdmin(admin.ModelAdmin):
    """No full count on any page; subclasses add raw-id fields and indexed filters only."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
