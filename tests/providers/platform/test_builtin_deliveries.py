"""Built-in signing reports its events the way webhooks come in: each is stored as a delivery of
provider "builtin" and applied at once; a failure leaves it pending for the retry sweep."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from envelopes.models import EnvelopeEvent, EnvelopeStatus, ParticipantStatus
from envelopes.tasks import retry_webhook_deliveries
from providers.internal_events import events_parse, events_report
from providers.models import DeliveryStatus, WebhookDelivery
from tests.builtin.conftest import committed, links_for, send_builtin  # noqa: F401 — fixtures used here
from tests.builtin.test_flows import ANNA, BO, typed


def sign(client, committed, email: str, name: str):  # noqa: F811 — `committed` is the fixture's value
    response = committed(client.post, links_for(email)[0] + "act/", typed(name))
    assert response.status_code in (200, 302)


def test_a_signature_is_stored_as_a_builtin_delivery_and_applied(client, send_builtin, committed):  # noqa: F811
    envelope = send_builtin([ANNA, BO])
    earlier = list(WebhookDelivery.objects.values_list("pk", flat=True))

    sign(client, committed, "anna@example.com", "Anna Andersson")

    deliveries = list(WebhookDelivery.objects.exclude(pk__in=earlier))
    signed = [d for d in deliveries if d.event_type == "participant.signed"]
    assert len(signed) == 1
    assert {(d.provider, d.status, d.connection_id, d.remote_id) for d in deliveries} == {
        ("builtin", DeliveryStatus.PROCESSED, None, envelope.remote_id)
    }
    anna = envelope.participants.get(email="anna@example.com")
    assert anna.status == ParticipantStatus.SIGNED
    recorded = EnvelopeEvent.objects.get(participant=anna, kind="participant.signed")
    assert recorded.remote_event_id == signed[0].event_id


def test_the_last_signature_completes_the_envelope_through_deliveries(client, send_builtin, committed):  # noqa: F811
    envelope = send_builtin([ANNA, BO])
    sign(client, committed, "anna@example.com", "Anna Andersson")
    sign(client, committed, "bo@example.com", "Bo Berg")

    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.COMPLETED
    builtin = WebhookDelivery.objects.filter(provider="builtin")
    assert builtin.filter(event_type="participant.signed").count() == 2
    assert not builtin.exclude(status=DeliveryStatus.PROCESSED).exists()


def test_an_event_reported_twice_is_stored_once(client, send_builtin, committed):  # noqa: F811
    send_builtin([ANNA])
    sign(client, committed, "anna@example.com", "Anna Andersson")
    delivery = WebhookDelivery.objects.filter(provider="builtin", event_type="participant.signed").get()
    stored = WebhookDelivery.objects.count()

    events_report("builtin", events_parse("Paraph signing", delivery.body.encode()))

    assert WebhookDelivery.objects.count() == stored


def test_a_builtin_event_that_cannot_be_applied_waits_for_the_retry_sweep(
    client,
    send_builtin,  # noqa: F811
    committed,  # noqa: F811
    monkeypatch,
):
    envelope = send_builtin([ANNA, BO])

    def broken(**kwargs):
        raise RuntimeError("the database went away for a moment")

    with monkeypatch.context() as patched:
        patched.setattr("envelopes.incoming.deliveries.remote_events_apply", broken)
        sign(client, committed, "anna@example.com", "Anna Andersson")

    waiting = WebhookDelivery.objects.get(provider="builtin", event_type="participant.signed")
    assert waiting.status == DeliveryStatus.PENDING
    assert waiting.error == "Paraph could not read Paraph signing's answer (RuntimeError); it will try again."
    assert envelope.participants.get(email="anna@example.com").status == ParticipantStatus.INVITED
    WebhookDelivery.objects.filter(pk=waiting.pk).update(received_at=timezone.now() - timedelta(minutes=5))

    retry_webhook_deliveries()

    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.PROCESSED
    assert envelope.participants.get(email="anna@example.com").status == ParticipantStatus.SIGNED
