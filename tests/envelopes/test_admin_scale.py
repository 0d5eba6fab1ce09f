"""The operators' envelope, participant and event pages stay quick at a million rows: no full count,
searches and filters an index answers, related rows joined."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from envelopes.lifecycle.audit import event_append
from envelopes.models import Envelope, EnvelopeStatus
from portal.kernel import admin_paging

PAGES = [
    "admin:envelopes_envelope_changelist",
    "admin:envelopes_participant_changelist",
    "admin:envelopes_envelopeevent_changelist",
]


@pytest.fixture
def operator_client(client, make_user):
    client.force_login(make_user(email="ops@example.com", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def a_few_rows(make_envelope, make_participant):
    for n in range(3):
        envelope = make_envelope(title=f"Lease {n}")
        make_participant(envelope, name=f"Anna {n}", email=f"anna{n}@example.com")
        event_append(envelope=envelope, kind="envelope.created")


@pytest.mark.parametrize("name", PAGES)
def test_big_tables_are_paged_without_counting_every_row(name, operator_client, a_few_rows, monkeypatch):
    monkeypatch.setattr(admin_paging, "planner_estimate", lambda queryset: 2_000_000)
    with CaptureQueriesContext(connection) as queries:
        response = operator_client.get(reverse(name))
    assert response.status_code == 200
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert response.context["cl"].result_count == 2_000_000


@pytest.mark.parametrize("name", PAGES)
def test_small_results_are_counted_exactly(name, operator_client, a_few_rows):
    response = operator_client.get(reverse(name))
    assert response.status_code == 200 and response.context["cl"].result_count == 3


def test_the_planner_estimates_on_postgresql(db):
    estimate = admin_paging.planner_estimate(Envelope.objects.all())
    assert estimate is None if connection.vendor != "postgresql" else isinstance(estimate, int)


def test_a_count_the_planner_underestimates_stops_at_the_cap(operator_client, a_few_rows, monkeypatch):
    """An estimate far too low (a search term the statistics know nothing about) must not turn into a
    count of every match: past EXACT_BELOW the count stops and says "more"."""
    monkeypatch.setattr(admin_paging, "planner_estimate", lambda queryset: 1)
    monkeypatch.setattr(admin_paging, "EXACT_BELOW", 2)
    with CaptureQueriesContext(connection) as queries:
        response = operator_client.get(reverse("admin:envelopes_envelope_changelist"), {"q": "lease"})
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 3" in sql for sql in counts), counts
    assert response.context["cl"].result_count == 3


def test_searches_use_what_the_indexes_answer(operator_client, a_few_rows):
    people = operator_client.get(reverse("admin:envelopes_participant_changelist"), {"q": " ANNA1@Example.com "})
    assert [p.email for p in people.context["cl"].result_list] == ["anna1@example.com"]
    by_name = operator_client.get(reverse("admin:envelopes_participant_changelist"), {"q": "anna 2"})
    assert [p.name for p in by_name.context["cl"].result_list] == ["Anna 2"]
    by_title = operator_client.get(reverse("admin:envelopes_envelope_changelist"), {"q": "EASE 1"})
    assert [e.title for e in by_title.context["cl"].result_list] == ["Lease 1"]
    envelope = Envelope.objects.get(title="Lease 2")
    events = operator_client.get(reverse("admin:envelopes_envelopeevent_changelist"), {"q": str(envelope.pk)})
    assert [e.envelope_id for e in events.context["cl"].result_list] == [envelope.pk]
    by_id = operator_client.get(reverse("admin:envelopes_envelope_changelist"), {"q": str(envelope.pk)})
    assert list(by_id.context["cl"].result_list) == [envelope]


def test_operators_find_stuck_and_failed_sends(operator_client, make_envelope):
    make_envelope(status=EnvelopeStatus.FAILED, title="Broken")
    make_envelope(status=EnvelopeStatus.COMPLETED, title="Fine")
    response = operator_client.get(reverse("admin:envelopes_envelope_changelist"), {"status": "failed"})
    assert [e.title for e in response.context["cl"].result_list] == ["Broken"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_one_addresss_rows_are_paged_from_its_index(operator_client, a_few_rows):
    """Searching an address that thousands of rows share must not walk every participant backwards by
    id until a page is full: (lower(email), id) gives that address's rows newest first."""
    with CaptureQueriesContext(connection) as queries:
        operator_client.get(reverse("admin:envelopes_participant_changelist"), {"q": "anna1@example.com"})
    page_sql = next(q["sql"] for q in queries if q["sql"].startswith('SELECT "envelopes_participant"."id"'))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")  # as with thousands of matches: no sorting them all
        cursor.execute(f"EXPLAIN {page_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan Backward using participant_email_ci_id" in plan, plan
