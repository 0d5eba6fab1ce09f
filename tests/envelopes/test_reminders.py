"""Automatic reminders on a schedule, with time travel."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from envelopes.composing.participants import envelope_set_signing_order, participant_add
from envelopes.models import Envelope
from envelopes.outgoing.reminders import reminders_send_due
from envelopes.outgoing.sending import envelope_deliver
from envelopes.services import envelope_create, envelope_remind, envelope_send, envelope_update
from envelopes.tasks import send_due_reminders
from portal.models import Role
from providers.base import ProviderError

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sent(make_member, make_document, fake_providers):
    """An envelope sent at START with the memory provider: first reminder after 2 days, then every
    3 days, at most 2."""

    def send(people=("Anna",), sequential=False):
        member = make_member(role=Role.SENDER)
        with time_machine.travel(START, tick=False):
            envelope = envelope_create(org=member.org, actor=member.user, title="Lease", provider="memory")
            envelope_update(envelope=envelope, reminder_first_after_days=2, reminder_every_days=3, reminder_max=2)
            make_document(envelope)
            for name in people:
                participant_add(envelope=envelope, name=name, email=f"{name.lower()}@example.com")
            if sequential:
                envelope_set_signing_order(envelope=envelope, sequential=True)
            envelope_send(envelope=envelope, actor=None)
            envelope_deliver(envelope_id=envelope.pk)
        envelope.refresh_from_db()
        return envelope

    return send


def sweep_on(day: float) -> int:
    with time_machine.travel(START + timedelta(days=day), tick=False):
        return reminders_send_due()


def test_first_after_x_days_then_every_y_days_at_most_z(sent):
    envelope = sent()
    assert envelope.next_reminder_at == START + timedelta(days=2)
    assert [sweep_on(day) for day in (1, 2, 2.5, 4.9, 5, 8, 20)] == [0, 1, 0, 0, 1, 0, 0]
    envelope.refresh_from_db()
    assert envelope.next_reminder_at is None
    anna = envelope.participants.get()
    assert anna.reminders_sent == 2
    assert envelope.events.filter(kind="participant.reminded", source="system").count() == 2


def test_only_those_whose_turn_it_is_are_reminded(sent):
    envelope = sent(people=("Anna", "Bo"), sequential=True)
    assert sweep_on(2) == 1
    assert {p.name: p.reminders_sent for p in envelope.participants.all()} == {"Anna": 1, "Bo": 0}


def test_running_the_task_twice_reminds_once(sent):
    envelope = sent()
    with time_machine.travel(START + timedelta(days=2), tick=False):
        assert send_due_reminders() == "reminded 1 participant(s)"
        assert send_due_reminders() == "reminded 0 participant(s)"
    assert envelope.participants.get().reminders_sent == 1


def test_a_provider_rate_limit_postpones_the_reminder_without_losing_it(sent, fake_providers):
    envelope = sent()
    fake_providers.fail_next.append(ProviderError("Too many requests.", retry_after=120))
    assert sweep_on(2) == 0
    envelope.refresh_from_db()
    assert envelope.next_reminder_at == START + timedelta(days=2, seconds=120)
    assert sweep_on(2.01) == 1


def test_a_manual_reminder_inside_the_cooldown_moves_the_automatic_one_later(sent):
    envelope = sent()
    with time_machine.travel(START + timedelta(days=2) - timedelta(minutes=5), tick=False):
        envelope_remind(envelope=envelope, actor=None)
    assert sweep_on(2) == 0  # Memory Sign allows one reminder per hour, and says when the next is possible
    envelope.refresh_from_db()
    assert envelope.next_reminder_at == START + timedelta(days=2, minutes=55)
    assert sweep_on(2 + 1 / 24) == 1


def test_reminders_stop_when_the_envelope_is_no_longer_out(sent):
    envelope = sent()
    Envelope.objects.filter(pk=envelope.pk).update(status="completed")
    assert sweep_on(2) == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_one_reminder(sent):
    envelope = sent()
    start = threading.Barrier(2)
    counts = []

    def worker():
        start.wait()
        try:
            counts.append(sweep_on(2))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0, 1]
    assert envelope.participants.get().reminders_sent == 1
