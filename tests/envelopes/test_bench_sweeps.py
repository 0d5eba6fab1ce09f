"""The sweeps benchmark (bench/sweeps) on a tiny dataset: it drives the real claim and purge and
leaves the database as it found it. Timings are measured there, never asserted here."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from bench.sweeps.purge import purge_measure
from bench.sweeps.reminders import reminder_selection
from bench.sweeps.seed import ORG_SLUG
from envelopes.models import Envelope, EnvelopeStatus
from portal.models import Organization

# Real transactions: the bench times outermost transactions and, on PostgreSQL, watches them from
# other connections, which must see the committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def test_reminder_selection_claims_the_next_batch_and_puts_the_due_times_back(make_org, make_envelope):
    org, past = make_org(), timezone.now() - timedelta(days=1)
    for minutes in range(3):
        make_envelope(org=org, status=EnvelopeStatus.SENT, next_reminder_at=past - timedelta(minutes=minutes))
    make_envelope(org=org, status=EnvelopeStatus.SENT, next_reminder_at=timezone.now() + timedelta(days=1))
    make_envelope(org=org, status=EnvelopeStatus.COMPLETED, next_reminder_at=past)
    before = dict(Envelope.objects.values_list("pk", "next_reminder_at"))

    figures = reminder_selection(runs=2, batch=2)

    assert (figures.envelopes, figures.sent, figures.due, figures.batch) == (5, 4, 3, 2)
    assert figures.claim.n == figures.select.n == figures.count.n == 2
    assert dict(Envelope.objects.values_list("pk", "next_reminder_at")) == before


def test_purge_measure_purges_everything_due_and_drops_its_organization(make_org, make_envelope):
    other = make_envelope(org=make_org(), status=EnvelopeStatus.COMPLETED, completed_at=timezone.now())

    figures = purge_measure(envelopes=5, batch_size=2, progress=lambda line: None)

    assert figures.due.envelopes_files == figures.due.envelopes_personal == 5
    assert figures.report.envelopes_files == figures.report.envelopes_personal == figures.report.remote_queued == 5
    assert (figures.remote_tasks, figures.remote_deleted, figures.report.failed) == (3, 5, 0)
    assert len(figures.batches) == 3 and figures.proofs == 5
    assert figures.left.is_empty and figures.files_left == 0 and figures.chains_ok and figures.probe_untouched
    # One transaction per batch; the provider deletions run afterwards, each recorded on its own.
    assert len(figures.transactions["envelopes.outgoing.retention.retention_purge_batch"]) == 3 + 1  # and the empty one
    assert not OrmQ.objects.exists()
    assert not Organization.objects.filter(slug=ORG_SLUG).exists()
    assert list(Envelope.objects.all()) == [other]
