"""The envelope list's cursor pages: every row once in every order, also among equal timestamps, and
the cursor written as a row comparison that the list's index takes as where to start."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from envelopes.models import Envelope
from envelopes.reads.selectors import SORTS, envelope_page
from portal.models import Role

ROW_COMPARISON = re.compile(r'\("envelopes_envelope"\."created_at", "envelopes_envelope"\."id"\) < \(', re.IGNORECASE)


@pytest.fixture
def sixty(make_org, make_envelope):
    """60 envelopes, in groups of four created at the same instant (so the id decides their order)."""
    org = make_org()
    start = timezone.now() - timedelta(days=1)
    for n in range(60):
        make_envelope(org=org, title=f"E{n % 7}", created_at=start + timedelta(minutes=n // 4))
    return org


def walk(org, sort: str, **filters) -> tuple[list[int], list[int]]:
    """Every row's id walking forwards by the Next cursors, and then back from the last page."""
    forwards, pages, after = [], [], ""
    while True:
        page = envelope_page(org, sort=sort, after=after, **filters)
        forwards += [e.pk for e in page.rows]
        pages.append(page)
        if not page.next_cursor:
            break
        after = page.next_cursor
    backwards, before = [], pages[-1].prev_cursor
    while before:
        page = envelope_page(org, sort=sort, before=before, **filters)
        backwards = [e.pk for e in page.rows] + backwards
        before = page.prev_cursor
    return forwards, backwards


@pytest.mark.parametrize("sort", list(SORTS))
def test_every_row_appears_once_in_order_even_among_equal_timestamps(sixty, sort):
    ordering = SORTS[sort][0]
    expected = list(Envelope.objects.filter(org=sixty).order_by(*ordering).values_list("pk", flat=True))
    forwards, backwards = walk(sixty, sort)
    assert forwards == expected
    last_page = len(expected) - len(expected) % 25
    assert backwards == expected[:last_page]  # back from the last page to the first


def test_other_organizations_rows_never_show(sixty, make_org, make_envelope):
    other = make_org()
    theirs = make_envelope(org=other, title="Theirs", created_at=timezone.now() - timedelta(hours=20))
    forwards, _ = walk(sixty, "newest")
    assert len(forwards) == 60 and theirs.pk not in forwards


def test_the_cursor_is_one_row_comparison(sixty):
    first = envelope_page(sixty)
    with CaptureQueriesContext(connection) as queries:
        envelope_page(sixty, after=first.next_cursor)
    page_sql = queries[0]["sql"]
    assert ROW_COMPARISON.search(page_sql), page_sql
    assert " OR " not in page_sql  # not the "created_at < x OR (created_at = x AND id < y)" filter


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_postgresql_starts_the_index_scan_at_the_cursor(sixty):
    first = envelope_page(sixty)
    with CaptureQueriesContext(connection) as queries:
        envelope_page(sixty, after=first.next_cursor)
    sql = queries[0]["sql"]  # as sent, parameters in place
    with connection.cursor() as db:
        db.execute("SET LOCAL enable_seqscan = off")  # a few test rows would otherwise be read whole
        db.execute("SET LOCAL enable_bitmapscan = off")
        db.execute("SET LOCAL enable_sort = off")
        db.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in db.fetchall())
    assert "envelope_org_newest" in plan, plan
    index_cond = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "ROW(created_at, id) < ROW(" in index_cond, plan


@pytest.mark.parametrize("depth", [0, 2])
def test_a_deep_page_costs_the_queries_the_first_does(depth, member_client, make_envelope, django_assert_num_queries):
    client, membership = member_client(role=Role.VIEWER)
    for n in range(80):
        make_envelope(org=membership.org, title=f"E{n}")
    params = {}
    for _ in range(depth):
        params = {"after": client.get(reverse("envelope_list"), params).context["page"].next_cursor}
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("envelope_list"))
    with django_assert_num_queries(len(first)):
        response = client.get(reverse("envelope_list"), params)
    assert len(response.context["page"].rows) == 25
