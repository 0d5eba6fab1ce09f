"""Polling providers repairs missed webhooks, backs off on errors and obeys rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from envelopes.composing.participants import participant_add
from envelopes.incoming.polling import envelopes_sync_due
from envelopes.models import Envelope, EnvelopeStatus
from envelopes.outgoing.sending import envelope_deliver
from envelopes.services import envelope_create, envelope_send
from envelopes.tasks import sync_with_providers
from portal.models import Role
from providers.base import ProviderError

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLL = timedelta(minutes=15)


@pytest.fixture
def sent(make_member, make_document, fake_providers):
    member = make_member(role=Role.SENDER)
    with time_machine.travel(START, tick=False):
        envelope = envelope_create(org=member.org, actor=member.user, title="Lease", provider="memory")
        make_document(envelope)
        participant_add(envelope=envelope, name="Anna", email="anna@example.com")
        envelope_send(envelope=envelope, actor=None)
        envelope_deliver(envelope_id=envelope.pk)
    envelope.refresh_from_db()
    return envelope


def at(moment, action=envelopes_sync_due):
    with time_machine.travel(moment, tick=False):
        return action()


def test_a_missed_signature_and_completion_are_picked_up_by_polling(sent, fake_providers):
    assert sent.next_sync_at == START + POLL
    anna = sent.participants.get()
    remote = fake_providers.remote[sent.remote_id]
    remote["participant_status"] = {str(anna.pk): "signed"}
    remote["status"] = "completed"
    assert at(START + POLL) == 2
    sent.refresh_from_db()
    assert sent.status == EnvelopeStatus.COMPLETED
    assert sent.participants.get().status == "signed"
    assert sent.events.filter(kind="envelope.completed", data__by="poll").exists()


def test_polling_twice_changes_nothing_the_second_time(sent, fake_providers):
    anna = sent.participants.get()
    fake_providers.remote[sent.remote_id]["participant_status"] = {str(anna.pk): "opened"}
    assert at(START + POLL, sync_with_providers) == "1 status change(s) from polling"
    assert at(START + 2 * POLL, sync_with_providers) == "0 status change(s) from polling"
    assert sent.events.filter(kind="participant.opened").count() == 1


def test_errors_back_off_and_rate_limits_are_obeyed(sent, fake_providers):
    fake_providers.fail_next.append(ProviderError("Memory Sign is down."))
    at(START + POLL)
    first_retry = Envelope.objects.get(pk=sent.pk).next_sync_at
    assert first_retry == START + POLL + 2 * POLL
    fake_providers.fail_next.append(ProviderError("Too many requests.", retry_after=90))
    at(first_retry)
    assert Envelope.objects.get(pk=sent.pk).next_sync_at == first_retry + timedelta(seconds=90)


def test_envelopes_of_a_provider_that_reports_itself_are_not_polled(make_member, make_document, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    member = make_member(role=Role.SENDER)
    envelope = envelope_create(org=member.org, actor=member.user, title="Lease")
    make_document(envelope)
    participant_add(envelope=envelope, name="Anna", email="anna@example.com")
    envelope_send(envelope=envelope, actor=None)
    envelope_deliver(envelope_id=envelope.pk)
    envelope.refresh_from_db()
    assert envelope.provider == "builtin" and envelope.next_sync_at is None
