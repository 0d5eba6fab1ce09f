"""Sends whose task died with its worker (a Redis-brokered task is not redelivered) are queued
again by a sweep, and still send once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.conf import Conf

from envelopes.models import Envelope, EnvelopeStatus
from envelopes.outgoing.stalled import sends_stalled
from envelopes.tasks import resume_stalled_sends


@pytest.fixture
def stale(settings):
    return timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 120)


@pytest.mark.parametrize(
    ("status", "remote_state", "resumed"),
    [
        (EnvelopeStatus.QUEUED, {}, True),  # its task was lost before a worker claimed it
        (EnvelopeStatus.SENDING, {"checkpoint": {"created": "mem-1"}}, True),  # the worker died mid-send
        (EnvelopeStatus.QUEUED, {"transient_failures": 2}, False),  # waiting for its retry schedule
        (EnvelopeStatus.SENT, {}, False),
        (EnvelopeStatus.FAILED, {}, False),
    ],
)
def test_only_sends_that_must_have_lost_their_task_are_resumed(make_envelope, stale, status, remote_state, resumed):
    envelope = make_envelope(status=status, remote_state=remote_state)
    Envelope.objects.filter(pk=envelope.pk).update(updated_at=stale)
    fresh = make_envelope(status=status, remote_state=remote_state)

    assert sends_stalled() == ([envelope.pk] if resumed else [])
    assert fresh.pk not in sends_stalled()


def test_a_lost_send_is_sent_once_when_resumed_twice(
    make_envelope, fake_providers, make_participant, make_document, stale, monkeypatch
):
    monkeypatch.setattr(Conf, "SYNC", True)  # the queued sends run here, as a worker would run them
    envelope = make_envelope(status=EnvelopeStatus.QUEUED, provider="memory")
    make_document(envelope)
    make_participant(envelope)
    Envelope.objects.filter(pk=envelope.pk).update(updated_at=stale)

    assert resume_stalled_sends() == "resumed 1 stalled send(s)"
    assert resume_stalled_sends() == "resumed 0 stalled send(s)"

    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.SENT
    assert [call for call in fake_providers.calls if call[0] == "send"] and len(fake_providers.remote) == 1
