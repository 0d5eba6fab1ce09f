"""Keyset pagination: the rows after a cursor, written as one row comparison.

`(created_at, id) < (%s, %s)` rather than `created_at < %s OR (created_at = %s AND id < %s)`: the
two say the same, but PostgreSQL uses only the row comparison as a bound on an index on those
columns, so a page deep in the list starts where the cursor points instead of filtering every row
before it. SQLite (3.15 and later) understands row values too."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Field, Func, Value
from django.db.models.lookups import GreaterThan, LessThan, Lookup


class Row(Func):
    """A row value, `(a, b, …)`, compared column by column in order."""

    function = ""
    output_field = Field()  # the columns' types differ; only the comparison's result is used


def rows_after(columns: Sequence[str], values: Sequence[object], *, descending: bool) -> Lookup:
    """The filter keeping rows that come after `values` when ordered by `columns` (all in one direction)."""
    comparison = LessThan if descending else GreaterThan
    return comparison(Row(*columns), Row(*(Value(value) for value in values)))
