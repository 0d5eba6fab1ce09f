"""Answers nobody foresaw: an adapter that trips over a missing field (a KeyError) or reports it
(UnreadableAnswer) leaves the delivery or envelope marked with a sentence and retried later, the
traceback in the log, and every other envelope handled as usual."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from envelopes.incoming.deliveries import MAX_ATTEMPTS, webhook_delivery_apply
from envelopes.incoming.polling import envelopes_sync_due
from envelopes.models import Envelope, ParticipantStatus
from providers.models import DeliveryStatus, WebhookDelivery
from providers.webhooks import delivery_replay
from tests.providers.platform.conftest import event, webhook_body

UNREADABLE = {
    "brittlesign": "Paraph could not read Brittle Sign's answer (KeyError); it will try again.",
    "hintsign": "Paraph could not read Hint Sign's answer: the field status is missing.",
}


@pytest.fixture
def account(sign_api, make_connection, make_sent_envelope):
    """A connection of `provider_id` and envelopes out for signature, due for polling; the service
    says each one's first participant signed."""

    def make(provider_id: str, remote_ids=("env-1",)):
        connection = make_connection(provider_id, credentials={"api_token": sign_api.issue_token()})
        envelopes = []
        for remote_id in remote_ids:
            envelopes.append(
                make_sent_envelope(connection, remote_id, next_sync_at=timezone.now() - timedelta(minutes=1))
            )
            sign_api.remote_envelope(remote_id, **{f"{remote_id}-p1": "signed", f"{remote_id}-p2": "invited"})
        return connection, envelopes

    return make


def deliver(client, captured, connection, body: bytes):
    with captured(execute=True):
        response = client.post(
            reverse("provider_webhook", args=[connection.provider, connection.pk]),
            body,
            content_type="application/json",
        )
    assert response.status_code == 200


def tracebacks(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info and r.name == "envelopes.incoming.problems"]


def test_a_keyerror_while_applying_a_delivery_keeps_it_pending_with_a_sentence(
    account, sign_api, client, django_capture_on_commit_callbacks, caplog
):
    connection, (envelope,) = account("brittlesign")
    sign_api.malformed.add("env-1")

    deliver(
        client, django_capture_on_commit_callbacks, connection, webhook_body(event("env-1", participant="env-1-p1"))
    )

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.error == UNREADABLE["brittlesign"]
    [record] = tracebacks(caplog)
    assert record.levelno == logging.ERROR and record.exc_info[0] is KeyError
    assert f"webhook delivery {delivery.pk}" in record.getMessage()


def test_a_delivery_that_keeps_failing_is_marked_failed_and_can_be_replayed(
    account, sign_api, client, django_capture_on_commit_callbacks
):
    connection, (envelope,) = account("brittlesign")
    sign_api.malformed.add("env-1")
    deliver(
        client, django_capture_on_commit_callbacks, connection, webhook_body(event("env-1", participant="env-1-p1"))
    )
    delivery = WebhookDelivery.objects.get()

    for _ in range(MAX_ATTEMPTS - 1):
        webhook_delivery_apply(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert delivery.error == UNREADABLE["brittlesign"]
    sign_api.malformed.clear()  # the service's deploy is over
    with django_capture_on_commit_callbacks(execute=True):
        delivery_replay(delivery=delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error) == (DeliveryStatus.PROCESSED, "")
    assert envelope.participants.get(remote_id="env-1-p1").status == ParticipantStatus.SIGNED


def test_an_answer_missing_a_field_keeps_the_delivery_pending_with_the_field_named(
    account, sign_api, client, django_capture_on_commit_callbacks
):
    connection, _ = account("hintsign")
    sign_api.malformed.add("env-1")

    deliver(
        client, django_capture_on_commit_callbacks, connection, webhook_body(event("env-1", participant="env-1-p1"))
    )

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.error) == (DeliveryStatus.PENDING, UNREADABLE["hintsign"])


@pytest.mark.parametrize("provider_id", ["brittlesign", "hintsign"])
def test_a_poll_sweep_goes_on_past_an_envelope_whose_answer_cannot_be_read(account, sign_api, provider_id, caplog):
    _, envelopes = account(provider_id, remote_ids=("env-1", "env-2", "env-3"))
    sign_api.malformed.add("env-2")
    now = timezone.now()

    envelopes_sync_due(now=now)

    assert sorted(c.path for c in sign_api.api_calls()) == [f"/api/envelopes/env-{n}" for n in (1, 2, 3)]
    first, broken, third = (Envelope.objects.get(pk=e.pk) for e in envelopes)
    for polled in (first, third):
        assert polled.participants.get(remote_id=f"{polled.remote_id}-p1").status == ParticipantStatus.SIGNED
        assert "read_error" not in polled.remote_state
        assert polled.next_sync_at == now + timedelta(minutes=15)
    assert broken.remote_state["read_error"] == UNREADABLE[provider_id]
    assert broken.next_sync_at == now + timedelta(minutes=30)  # backed off
    assert broken.participants.get(remote_id="env-2-p1").status == ParticipantStatus.INVITED
    assert len(tracebacks(caplog)) == (1 if provider_id == "brittlesign" else 0)


def test_a_successful_poll_clears_the_read_error(account, sign_api):
    _, (envelope,) = account("brittlesign")
    sign_api.malformed.add("env-1")
    now = timezone.now()
    envelopes_sync_due(now=now)
    sign_api.malformed.clear()

    envelopes_sync_due(now=now + timedelta(minutes=31))

    envelope.refresh_from_db()
    assert "read_error" not in envelope.remote_state and envelope.remote_state["poll_backoff"] == 0
    assert envelope.participants.get(remote_id="env-1-p1").status == ParticipantStatus.SIGNED
