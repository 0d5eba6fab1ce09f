"""The count tables follow every way an envelope appears, moves and disappears, agree with a rebuild
from the envelopes, and never lose an update when writers race."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from envelopes.composing.templating import envelope_from_template, template_from_envelope
from envelopes.lifecycle.count_tables import EnvelopeDailyCount, EnvelopeStatusCount
from envelopes.lifecycle.counts import DURATION_EDGES, TOOK, counts_moved, counts_rebuild, duration_bucket
from envelopes.lifecycle.states import envelope_transition
from envelopes.models import Envelope, EnvelopeStatus
from envelopes.reads.dashboard import median_hours
from envelopes.services import envelope_create, envelope_delete, envelope_duplicate

E = EnvelopeStatus


def status_counts(org) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in EnvelopeStatusCount.objects.filter(org=org):
        counts[row.status] = counts.get(row.status, 0) + row.n
    return {status: n for status, n in counts.items() if n}


def snapshot(org) -> tuple[dict, dict]:
    statuses = {(r.provider, r.connection_key, r.status): r.n for r in EnvelopeStatusCount.objects.filter(org=org)}
    daily = {
        (r.day, r.provider, r.connection_key, r.kind, r.bucket): r.n for r in EnvelopeDailyCount.objects.filter(org=org)
    }
    return {k: n for k, n in statuses.items() if n}, {k: n for k, n in daily.items() if n}


def assert_matches_a_rebuild(org) -> None:
    kept = snapshot(org)
    counts_rebuild(org)
    assert snapshot(org) == kept


@pytest.mark.parametrize(
    "path",
    [
        [E.QUEUED, E.SENDING, E.SENT, E.COMPLETED],
        [E.QUEUED, E.SENT, E.DECLINED],
        [E.QUEUED, E.SENT, E.VOIDED],
        [E.QUEUED, E.SENT, E.EXPIRED],
        [E.QUEUED, E.FAILED, E.QUEUED, E.SENT, E.COMPLETED],
        [E.QUEUED, E.VOIDED],
        [E.QUEUED, E.SENDING, E.QUEUED, E.FAILED],
    ],
)
def test_counts_follow_every_transition(path, make_org, make_user):
    org = make_org()
    envelope = envelope_create(org=org, actor=make_user(), title="Lease")
    assert status_counts(org) == {E.DRAFT: 1}
    start = timezone.now() - timedelta(days=10)
    for step, status in enumerate(path):
        assert envelope_transition(envelope=envelope, to=status, at=start + timedelta(days=step, hours=step))
    assert status_counts(org) == {path[-1]: 1}
    assert_matches_a_rebuild(org)


def test_a_refused_transition_counts_nothing(make_org, make_user):
    org = make_org()
    envelope = envelope_create(org=org, actor=make_user())
    assert not envelope_transition(envelope=envelope, to=E.COMPLETED)
    stale = Envelope.objects.get(pk=envelope.pk)
    assert envelope_transition(envelope=envelope, to=E.QUEUED)
    assert not envelope_transition(envelope=stale, to=E.QUEUED)  # another worker already moved it
    assert status_counts(org) == {E.QUEUED: 1}


def test_completion_is_counted_on_its_day_with_how_long_it_took(make_org, make_user):
    org = make_org()
    envelope = envelope_create(org=org, actor=make_user())
    sent_at = timezone.now() - timedelta(days=3)
    for status, at in [(E.QUEUED, sent_at), (E.SENT, sent_at), (E.COMPLETED, sent_at + timedelta(hours=30))]:
        envelope_transition(envelope=envelope, to=status, at=at)
    completed = EnvelopeDailyCount.objects.get(org=org, kind=E.COMPLETED)
    assert (completed.day, completed.provider) == (timezone.localdate(sent_at + timedelta(hours=30)), "builtin")
    took = EnvelopeDailyCount.objects.get(org=org, kind=TOOK)  # for the median: the whole organization's
    assert took.bucket == duration_bucket(timedelta(hours=30)) and DURATION_EDGES[took.bucket] == 48
    assert EnvelopeDailyCount.objects.get(org=org, kind=E.SENT).day == timezone.localdate(sent_at)


def test_drafts_are_counted_when_made_copied_templated_and_deleted(make_org, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    org, user = make_org(), make_user()
    original = envelope_create(org=org, actor=user, title="Lease")
    copy = envelope_duplicate(envelope=original, actor=user)
    template = template_from_envelope(envelope=original, actor=user, name="Lease template")
    envelope_from_template(template=template, actor=user)
    assert status_counts(org) == {E.DRAFT: 3}
    envelope_delete(envelope=copy)
    envelope_delete(envelope=copy)  # a second click deletes nothing and counts nothing
    assert status_counts(org) == {E.DRAFT: 2}
    assert_matches_a_rebuild(org)


def test_drafts_are_counted_per_organization_whatever_provider_they_name(make_org, make_user):
    org = make_org()
    envelope = envelope_create(org=org, actor=make_user(), provider="builtin")
    Envelope.objects.filter(pk=envelope.pk).update(provider="memory")  # changed while still a draft
    envelope.refresh_from_db()
    envelope_transition(envelope=envelope, to=E.QUEUED)
    rows = {(r.provider, r.status): r.n for r in EnvelopeStatusCount.objects.filter(org=org)}
    assert rows == {("", E.DRAFT): 0, ("memory", E.QUEUED): 1}


def test_recount_repairs_drift(make_org, make_user, capsys):
    org = make_org(name="Drifting Co")
    envelope = envelope_create(org=org, actor=make_user())
    envelope_transition(envelope=envelope, to=E.QUEUED)
    EnvelopeStatusCount.objects.filter(org=org).update(n=999)
    EnvelopeDailyCount.objects.create(org=org, day=timezone.localdate(), kind=E.COMPLETED, n=5)
    call_command("recount_envelopes", org=org.slug)
    assert status_counts(org) == {E.QUEUED: 1}
    assert not EnvelopeDailyCount.objects.filter(org=org).exists()
    assert "Drifting Co" in capsys.readouterr().out


def test_recount_names_an_unknown_organization(db):
    with pytest.raises(CommandError, match="No organization has the slug"):
        call_command("recount_envelopes", org="nobody")


@pytest.mark.django_db(transaction=True)
def test_racing_writers_lose_no_update(make_org):
    """Four workers count transitions at once into rows that do not exist yet."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite lets one writer at a time in")
    org = make_org()
    start = threading.Barrier(4)
    errors = []

    def worker():
        try:
            start.wait()
            for _ in range(25):
                with transaction.atomic():
                    envelope = Envelope(org=org, provider="builtin", status=E.QUEUED)
                    counts_moved(envelope, old=E.QUEUED, to=E.SENT, at=timezone.now())
        except Exception as exc:  # noqa: BLE001 - reported below; a thread's exception would vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = {row.status: row.n for row in EnvelopeStatusCount.objects.filter(org=org)}
    assert rows == {E.SENT: 100, E.QUEUED: -100}
    assert EnvelopeDailyCount.objects.get(org=org, kind=E.SENT).n == 100


@pytest.mark.parametrize(
    "buckets,expected",
    [
        ({}, None),
        ({duration_bucket(timedelta(hours=3)): 1}, 3),  # one completion in the 2–4 h bucket: its middle
        ({0: 1, 1: 1, 2: 1}, 1.5),  # under 1 h, 1–2 h, 2–4 h: the middle one, half-way into 1–2 h
        ({len(DURATION_EDGES): 4}, 720),  # all longer than 30 days: read as 30 days
    ],
)
def test_median_time_to_complete_is_read_off_the_histogram(buckets, expected):
    from collections import Counter

    assert median_hours(Counter(buckets)) == expected
