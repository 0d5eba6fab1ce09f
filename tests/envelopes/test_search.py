"""Searching the envelope list by title, participant name or e-mail address: the right envelopes, in
the list's order, page by page, in a fixed number of queries, and on PostgreSQL through the trigram
indexes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from envelopes.models import Envelope, EnvelopeStatus, Participant
from envelopes.reads.search import person_matches, title_matches
from envelopes.reads.selectors import SORTS, envelope_page
from portal.models import Role

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigram indexes")


def titles(org, **search) -> list[str]:
    return [e.title for e in envelope_page(org, **search).rows]


@pytest.fixture
def org(make_org):
    return make_org()


def test_search_finds_titles_names_and_addresses_in_any_case(org, make_envelope, make_participant):
    lease = make_envelope(org=org, title="Office lease 2027")
    make_participant(lease, name="Zelda Zed", email="zelda@wonder.example")
    make_envelope(org=org, title="Offer letter")
    assert titles(org, q="LEASE") == ["Office lease 2027"]
    assert titles(org, q="zEd") == ["Office lease 2027"]
    assert titles(org, q="ZELDA@WONDER.example") == ["Office lease 2027"]
    assert titles(org, q="  wonder.ex  ") == ["Office lease 2027"]
    assert titles(org, q="nothing like it") == []


def test_every_word_must_match_in_any_order(org, make_envelope, make_participant):
    lease = make_envelope(org=org, title="Office lease 2027")
    make_participant(lease, name="Zelda Zed", email="zelda@wonder.example")
    assert titles(org, q="2027 office") == ["Office lease 2027"]
    assert titles(org, q="zed zelda") == ["Office lease 2027"]
    assert titles(org, q="office zelda") == []  # one word in the title, the other a participant's


def test_a_whole_address_finds_that_address(org, make_envelope, make_participant):
    make_participant(make_envelope(org=org, title="Hers"), email="anna@acme.example")
    make_participant(make_envelope(org=org, title="Another's"), email="joanna@acme.example")
    assert titles(org, q="Anna@ACME.example") == ["Hers"]
    assert sorted(titles(org, q="anna@acme")) == ["Another's", "Hers"]


def test_search_never_shows_another_organizations_envelopes(org, make_org, make_envelope, make_participant):
    theirs = make_envelope(org=make_org(), title="Lease of theirs")
    make_participant(theirs, name="Zelda Zed")
    ours = make_envelope(org=org, title="Ours")
    make_participant(ours, name="Zelda Zed")
    assert titles(org, q="lease") == []
    assert titles(org, q="zelda") == ["Ours"]


def test_an_envelope_matching_twice_is_listed_once(org, make_envelope, make_participant):
    envelope = make_envelope(org=org, title="Anna's lease")
    make_participant(envelope, name="Anna Andersson", email="anna@example.com")
    make_participant(envelope, name="Bo Anna", email="bo@example.com")
    assert titles(org, q="anna") == ["Anna's lease"]


@pytest.mark.parametrize("sort", list(SORTS))
def test_search_pages_through_every_match_once_in_the_lists_order(sort, org, make_envelope, make_participant):
    """Matches by title and by participant interleave: each half alone would fill a page."""
    for n in range(70):
        by_title = n % 2 == 0
        envelope = make_envelope(org=org, title=f"{'Lease' if by_title else 'Deal'} {n:03}")
        make_participant(envelope, name="Anyone" if by_title else "Lisa Leaseholder")
        make_envelope(org=org, title=f"Other {n:03}")  # matches neither
    expected = list(
        Envelope.objects.filter(org=org, title__regex=r"^(Lease|Deal)")
        .order_by(*SORTS[sort][0])
        .values_list("title", flat=True)
    )
    seen, after = [], ""
    while True:
        page = envelope_page(org, q="lease", sort=sort, after=after)
        seen += [e.title for e in page.rows]
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert seen == expected and len(seen) == 70
    back = envelope_page(org, q="lease", sort=sort, before=page.prev_cursor)
    assert [e.title for e in back.rows] == expected[25:50]


def test_search_combines_with_the_status_filter(org, make_envelope):
    make_envelope(org=org, title="Lease sent", status=EnvelopeStatus.SENT)
    make_envelope(org=org, title="Lease draft")
    assert titles(org, q="lease", status="sent") == ["Lease sent"]


@pytest.mark.parametrize("rows", [3, 40])
def test_a_search_costs_the_same_queries_however_many_match(
    rows, member_client, make_envelope, make_participant, django_assert_num_queries
):
    client, membership = member_client(role=Role.VIEWER)
    for n in range(rows):
        make_participant(make_envelope(org=membership.org, title=f"Lease {n}"), name="Lisa Leaseholder")
    with CaptureQueriesContext(connection) as unsearched:
        client.get(reverse("envelope_list"))
    with django_assert_num_queries(len(unsearched)):
        response = client.get(reverse("envelope_list"), {"q": "lease"})
    assert len(response.context["page"].rows) == min(rows, 25)


@postgresql_only
def test_the_migration_builds_the_trigram_indexes(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%_trgm'")
        indexes = dict(cursor.fetchall())
    assert set(indexes) == {"envelope_title_trgm", "participant_name_trgm", "participant_email_trgm"}
    assert "gin (upper((title)::text) gin_trgm_ops)" in indexes["envelope_title_trgm"]


@postgresql_only
def test_each_half_of_a_search_is_bounded(org, make_envelope, make_participant):
    make_participant(make_envelope(org=org, title="Lease"), name="Lisa Leaseholder")
    with CaptureQueriesContext(connection) as queries:
        assert titles(org, q="lease") == ["Lease"]
    sql = queries[0]["sql"]
    assert sql.count("LIMIT 26") == 3 and "UNION" in sql  # each half's first 26, then the page


@postgresql_only
@pytest.mark.parametrize(
    ("term", "index"),
    [
        ("Agreement 2345", "envelope_title_trgm"),
        ("Person 2345", "participant_name_trgm"),
        ("person2345@", "participant_email_trgm"),
        ("Person2345@Example.com", "participant_email_ci_id"),
    ],
)
def test_what_a_search_compares_is_what_the_indexes_hold(term, index, db):
    """The indexes are on UPPER(column::text) and LOWER(email): the SQL the search writes must compare
    those very expressions, or PostgreSQL could only read every row."""
    model = Envelope if index.startswith("envelope") else Participant
    matches = title_matches(term) if model is Envelope else person_matches(term)
    sql, params = model.objects.filter(matches).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # an empty test table is cheaper to read whole
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Index Scan on {index}" in plan or f"Index Scan using {index}" in plan, plan


@postgresql_only
def test_the_index_starts_from_the_rarest_word(org):
    """With "Agreement 2345" the index must not take "agreement", which every title here has: only
    the rare word is a trigram search, the common one is checked on the rows found."""
    Envelope.objects.bulk_create(Envelope(org=org, title=f"Agreement {n}") for n in range(3000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE envelopes_envelope")
    with CaptureQueriesContext(connection) as queries:
        assert titles(org, q="Agreement 2345") == ["Agreement 2345"]
    page_sql = next(q["sql"] for q in queries if "UNION" in q["sql"])
    assert """U0."title"::text) LIKE UPPER('%2345%')""" in page_sql
    assert """U0."title"::text) LIKE UPPER('%Agreement%')""" not in page_sql
    assert """STRPOS(UPPER(U0."title"), UPPER('Agreement'))""" in page_sql
