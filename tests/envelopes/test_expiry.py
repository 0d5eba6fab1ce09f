"""Expiry, and the warning the sender gets before it, with time travel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from envelopes.composing.participants import participant_add
from envelopes.models import EnvelopeStatus
from envelopes.outgoing.expiry import envelopes_expire_due, expiry_warnings_send
from envelopes.outgoing.sending import envelope_deliver
from envelopes.services import envelope_create, envelope_send, envelope_update
from envelopes.tasks import expire_envelopes
from portal.models import Role

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXPIRES = START + timedelta(days=10)


@pytest.fixture
def sent(make_member, make_document, fake_providers):
    member = make_member(role=Role.SENDER)
    member.org.expiry_warning_days = 3
    member.org.save()
    with time_machine.travel(START, tick=False):
        envelope = envelope_create(org=member.org, actor=member.user, title="Lease", provider="memory")
        envelope_update(envelope=envelope, expires_at=EXPIRES)
        make_document(envelope)
        participant_add(envelope=envelope, name="Anna", email="anna@example.com")
        envelope_send(envelope=envelope, actor=None)
        envelope_deliver(envelope_id=envelope.pk)
    envelope.refresh_from_db()
    return envelope


def on(moment, action):
    with time_machine.travel(moment, tick=False):
        return action()


def test_an_envelope_expires_at_its_expiry_and_is_closed_at_the_provider(sent, fake_providers):
    assert on(EXPIRES - timedelta(minutes=1), envelopes_expire_due) == 0
    assert on(EXPIRES, envelopes_expire_due) == 1
    sent.refresh_from_db()
    assert sent.status == EnvelopeStatus.EXPIRED
    assert fake_providers.remote[sent.remote_id]["status"] == "voided"
    assert sent.events.filter(kind="envelope.expired", source="system").count() == 1


def test_expiring_twice_changes_nothing(sent):
    assert on(EXPIRES, expire_envelopes) == "expired 1 envelope(s)"
    assert on(EXPIRES, expire_envelopes) == "expired 0 envelope(s)"
    assert sent.events.filter(kind="envelope.expired").count() == 1


def test_the_sender_is_warned_once_within_the_warning_period(sent):
    assert on(EXPIRES - timedelta(days=4), expiry_warnings_send) == 0
    assert on(EXPIRES - timedelta(days=2), expiry_warnings_send) == 1
    assert on(EXPIRES - timedelta(days=1), expiry_warnings_send) == 0
    warning = mail.outbox[-1]
    assert warning.to == [sent.created_by.email] and "Lease" in warning.subject and "Anna" in warning.body


def test_builtin_signing_closes_by_itself_at_expiry(make_member, make_document, client, settings, tmp_path):
    from providers.builtin.models import SigningRequest

    settings.MEDIA_ROOT = tmp_path
    member = make_member(role=Role.SENDER)
    with time_machine.travel(START, tick=False):
        envelope = envelope_create(org=member.org, actor=member.user, title="Lease")
        envelope_update(envelope=envelope, expires_at=EXPIRES)
        make_document(envelope)
        participant_add(envelope=envelope, name="Anna", email="anna@example.com")
        envelope_send(envelope=envelope, actor=None)
        envelope_deliver(envelope_id=envelope.pk)
    assert on(EXPIRES, envelopes_expire_due) == 1
    assert SigningRequest.objects.get().status == "sent"  # not voided: its links say "expired" themselves
