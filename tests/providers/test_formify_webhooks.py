"""Formify webhooks: genuine calls are stored once and applied; forged, stale, duplicate and
out-of-order calls change nothing they should not."""

from __future__ import annotations

import time
from datetime import timedelta

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from envelopes.models import EnvelopeEvent
from envelopes.tasks import apply_webhook_delivery, retry_webhook_deliveries
from providers.models import DeliveryStatus, WebhookDelivery


def _signed_envelope(formify, formify_envelope):
    envelope = formify_envelope()
    people = {p.email: p for p in envelope.participants.all()}
    return envelope, people


def _event(envelope, kind="document.signed", event_id="evt-forged", **data):
    return {
        "eventId": event_id,
        "type": kind,
        "date": "2026-11-22T10:00:00Z",
        "data": {"documentId": envelope.remote_id, "accountId": "acc", "userId": "usr", **data},
    }


def test_a_forged_signature_is_refused_and_changes_nothing(formify, formify_envelope):
    envelope, people = _signed_envelope(formify, formify_envelope)
    events_before = EnvelopeEvent.objects.count()
    status = formify.fake.forge(
        formify.connection.webhook_id, _event(envelope, signeeId=people["ada@example.com"].remote_id)
    )
    assert status == 401
    assert not WebhookDelivery.objects.exists()
    assert EnvelopeEvent.objects.count() == events_before


def test_a_stale_timestamp_is_refused(formify, formify_envelope):
    envelope, _ = _signed_envelope(formify, formify_envelope)
    secret = formify.connection.webhook_secret
    status = formify.fake.forge(
        formify.connection.webhook_id, _event(envelope), secret=secret, timestamp=int(time.time()) - 600
    )
    assert status == 401
    assert not WebhookDelivery.objects.exists()
    # The same call, signed now with the right secret, is accepted: the refusal was the age.
    assert formify.fake.forge(formify.connection.webhook_id, _event(envelope), secret=secret) == 200


def test_a_webhook_for_an_unknown_connection_is_a_404(db):
    response = Client().post(
        reverse("provider_webhook", args=["formify", 999999]), data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404


def test_a_duplicate_delivery_is_stored_and_applied_once(formify, formify_envelope):
    envelope, people = _signed_envelope(formify, formify_envelope)
    fake = formify.fake
    fake.sign(envelope.remote_id, people["ada@example.com"].remote_id)
    signed = next(i for i, d in enumerate(fake.deliveries) if d["event"]["type"] == "document.signed")
    signed_events = EnvelopeEvent.objects.filter(kind="participant.signed").count()
    assert fake.replay(signed) == 200
    assert fake.replay(signed) == 200
    assert WebhookDelivery.objects.filter(event_id=fake.deliveries[signed]["event"]["eventId"]).count() == 1
    assert EnvelopeEvent.objects.filter(kind="participant.signed").count() == signed_events == 1


def test_out_of_order_events_never_move_a_status_back(formify, formify_envelope):
    envelope, people = _signed_envelope(formify, formify_envelope)
    fake = formify.fake
    fake.sign(envelope.remote_id, people["ada@example.com"].remote_id)
    fake.sign(envelope.remote_id, people["ben@example.com"].remote_id)
    envelope.refresh_from_db()
    assert envelope.status == "completed"
    # The first "opened" and "signed" arrive again, late, after completion.
    early = [i for i, d in enumerate(fake.deliveries) if d["event"]["type"] == "document.signed"]
    for index in early:
        fake.replay(index)
    fake.forge(
        formify.connection.webhook_id,
        _event(envelope, kind="document.opened", event_id="evt-late-open"),
        secret=formify.connection.webhook_secret,
    )
    envelope.refresh_from_db()
    assert envelope.status == "completed"
    assert set(envelope.participants.values_list("status", flat=True)) == {"signed"}


def test_opened_marks_the_only_signer_whose_turn_it_is(formify, formify_envelope):
    envelope = formify_envelope(people=(("Ada Signer", "ada@example.com"),))
    person = envelope.participants.get()
    formify.fake.open(envelope.remote_id, person.remote_id)
    person.refresh_from_db()
    assert person.status == "opened"


def test_a_delivery_is_kept_pending_while_formify_is_down_and_retried_later(formify, formify_envelope):
    envelope, people = _signed_envelope(formify, formify_envelope)
    fake = formify.fake
    fake.fail_next("GET", r"/v1/docs/", status=503, times=3)  # every in-place retry of one call
    fake.sign(envelope.remote_id, people["ada@example.com"].remote_id)
    delivery = WebhookDelivery.objects.get(event_type="document.signed")
    assert delivery.status == DeliveryStatus.PENDING and "503" in delivery.error
    # Later, a sweep (or an operator's replay) applies it.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(received_at=delivery.received_at.replace(year=2025))
    assert retry_webhook_deliveries() == "retried 1 webhook deliveries"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PROCESSED
    assert envelope.participants.get(email="ada@example.com").status == "signed"
    assert apply_webhook_delivery(delivery.pk) == "nothing to do"  # running it again changes nothing


def test_events_about_documents_not_sent_from_paraph_are_ignored(formify):
    fake = formify.fake
    status = fake.forge(
        formify.connection.webhook_id,
        {
            "eventId": "evt-x",
            "type": "document.completed",
            "date": "2026-11-22T10:00:00Z",
            "data": {"documentId": "elsewhere"},
        },
        secret=formify.connection.webhook_secret,
    )
    assert status == 200
    assert WebhookDelivery.objects.get(event_id="evt-x").status == DeliveryStatus.IGNORED


def test_operators_can_replay_a_delivery_from_the_admin(
    formify, formify_envelope, admin_client, django_capture_on_commit_callbacks
):
    envelope, people = _signed_envelope(formify, formify_envelope)
    formify.fake.sign(envelope.remote_id, people["ada@example.com"].remote_id)
    delivery = WebhookDelivery.objects.get(event_type="document.signed")
    listing = admin_client.get(reverse("admin:providers_webhookdelivery_changelist"))
    assert listing.status_code == 200 and delivery.event_id in listing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:providers_webhookdelivery_changelist"),
            {"action": "replay", "_selected_action": [delivery.pk]},
            follow=True,
        )
    assert "queued to be applied again" in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PROCESSED, 1)
    page = admin_client.get(reverse("admin:providers_webhookdelivery_change", args=[delivery.pk])).content.decode()
    assert formify.connection.webhook_secret not in page


def test_a_genuine_retry_a_day_after_the_event_is_accepted(formify, formify_envelope):
    envelope, people = _signed_envelope(formify, formify_envelope)
    fake = formify.fake
    # Paraph is down when Ada signs: every early attempt fails.
    receiver = fake.webhook_transport
    fake.webhook_transport = lambda url, body, headers: 503
    fake.sign(envelope.remote_id, people["ada@example.com"].remote_id)
    for _ in range(3):
        fake.deliver_pending()
    fake.webhook_transport = receiver
    # The fifth retry, ~24 hours later: a fresh signing timestamp over the day-old event.
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=3), tick=False):
        assert fake.deliver_pending() >= 1  # document.created, from the send, is pending too
    (delivery,) = [d for d in fake.deliveries if d["event"]["type"] == "document.signed"]
    assert delivery["delivered"] and delivery["status"] == 200
    stored = WebhookDelivery.objects.get(event_id=delivery["event"]["eventId"])
    assert stored.status == DeliveryStatus.PROCESSED
    assert envelope.participants.get(email="ada@example.com").status == "signed"


def test_a_replay_of_a_captured_delivery_is_refused_once_its_timestamp_is_stale(formify, formify_envelope):
    envelope, people = _signed_envelope(formify, formify_envelope)
    fake = formify.fake
    fake.sign(envelope.remote_id, people["ada@example.com"].remote_id)
    signed = next(i for i, d in enumerate(fake.deliveries) if d["event"]["type"] == "document.signed")
    event_id = fake.deliveries[signed]["event"]["eventId"]
    WebhookDelivery.objects.filter(event_id=event_id).delete()  # even a delivery Paraph no longer holds
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert fake.replay(signed) == 401
    assert not WebhookDelivery.objects.filter(event_id=event_id).exists()


def test_the_event_date_never_decides_freshness(formify, formify_envelope):
    envelope, _ = _signed_envelope(formify, formify_envelope)
    old_event = {**_event(envelope, kind="document.opened", event_id="evt-old"), "date": "2020-01-01T00:00:00Z"}
    secret = formify.connection.webhook_secret
    assert formify.fake.forge(formify.connection.webhook_id, old_event, secret=secret) == 200
    assert WebhookDelivery.objects.filter(event_id="evt-old").exists()
