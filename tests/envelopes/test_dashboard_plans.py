"""Plans of the dashboard and signer pages: the activity feed reads the organization's own latest
events through the index made for them, whatever other organizations recorded since; the planner
knows how many envelopes a provider account has."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envelopes.lifecycle.audit import event_append
from envelopes.reads.activity import activity_feed


@pytest.fixture
def two_orgs(make_org, make_envelope):
    ours, theirs = make_org(), make_org()
    for n in range(3):
        event_append(envelope=make_envelope(org=ours, title=f"Ours {n}"), kind="envelope.sent")
    for n in range(3):  # recorded later: the newest events are another organization's
        event_append(envelope=make_envelope(org=theirs, title=f"Theirs {n}"), kind="envelope.sent")
    return ours


def test_the_feed_shows_the_organizations_own_events_newest_first(two_orgs):
    assert [item.event.envelope.title for item in activity_feed(two_orgs)] == ["Ours 2", "Ours 1", "Ours 0"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_only_the_org_index_gives_the_feeds_order(two_orgs):
    """Without event_org_newest the feed has to sort: no other index (the primary key in particular,
    which walked backwards passes every other organization's newer events) offers its order, so the
    planner cannot prefer one on a near tie of costs."""
    with CaptureQueriesContext(connection) as queries:
        activity_feed(two_orgs)
    sql = queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX event_org_newest")  # inside the test's transaction, rolled back after
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")  # any index giving the order would now win
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Sort" in plan and "envelopes_envelopeevent_pkey" not in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_the_planner_knows_a_connection_belongs_to_one_provider(db):
    """Without these statistics it expects ten times fewer envelopes per account than there are, and
    signer tracking filtered to one account sorts all of that account's envelopes' signers."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stxkind, ARRAY(SELECT attname FROM pg_attribute"
            " WHERE attrelid = stxrelid AND attnum = ANY(stxkeys) ORDER BY attnum)"
            " FROM pg_statistic_ext WHERE stxname = 'envelope_account_stats'"
        )
        kinds, columns = cursor.fetchone()
    assert set(columns) == {"provider", "connection_id", "status"} and "f" in kinds  # f: dependencies
