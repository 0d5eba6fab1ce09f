"""Applying stored deliveries — provider webhooks and the built-in provider's own events alike.

A provider whose events are hints (most webhooks: thin, late, out of order) has the envelope
re-read before anything changes; one whose events are facts (built-in signing) has them applied as
they are. Either way the result goes through the state machine, so applying twice changes nothing.
Whatever goes wrong is recorded on the delivery (visible and replayable in the admin), never lost.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from envelopes.incoming.apply import remote_events_apply, snapshot_apply
from envelopes.incoming.problems import unexpected_error
from envelopes.lifecycle.states import participant_transition
from envelopes.models import Envelope, EventSource, ParticipantStatus
from providers.base import ProviderError, RemoteEvent, WebhookRefused
from providers.models import DeliveryStatus, WebhookDelivery
from providers.registry import adapter_for, provider_exists

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=2)  # a pending delivery older than this is tried again
TRACKED = {"participant.opened", "participant.signed", "envelope.completed", "envelope.voided", "envelope.sent"}


def webhook_delivery_apply(*, delivery_id: int) -> str:
    """Applies one delivery; returns what happened, for the task log. Safe to run twice: the
    delivery is claimed by compare-and-set and applying the same state again changes nothing."""
    delivery = WebhookDelivery.objects.select_related("connection").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return "nothing to do"
    claimed = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts)
    if claimed.update(attempts=F("attempts") + 1) != 1:
        return "taken by another worker"
    delivery.attempts += 1
    try:
        outcome = _apply(delivery)
    except ProviderError as exc:
        return _failed(delivery, exc.message, permanent=exc.permanent)
    except Exception as exc:  # noqa: BLE001 — an answer nobody foresaw must not kill the worker
        return _failed(delivery, unexpected_error(delivery.provider, exc, f"webhook delivery {delivery.pk}"),
                       permanent=False)
    _finish(delivery, outcome)
    return outcome


def _apply(delivery: WebhookDelivery) -> str:
    if not provider_exists(delivery.provider):
        return DeliveryStatus.IGNORED
    parser = adapter_for(delivery.provider, delivery.connection)
    try:
        # The body is the whole call, which may carry several events, each stored as its own
        # delivery: this one applies only its own event.
        events = [e for e in parser.webhook_events(delivery.body.encode()) if e.event_id == delivery.event_id]
    except WebhookRefused:
        return DeliveryStatus.IGNORED
    if parser.events_are_facts:
        return DeliveryStatus.PROCESSED if remote_events_apply(provider=delivery.provider, events=events) else (
            DeliveryStatus.IGNORED
        )
    applied = False
    for event in events:
        envelope = _envelope_for(delivery, event)
        if envelope is None or event.kind not in TRACKED:
            continue  # not sent from Paraph, or nothing Paraph shows
        provider = adapter_for(envelope.provider, envelope.connection)
        snapshot_apply(envelope, provider.fetch(event.remote_id))
        if event.kind == "participant.opened":
            _opened(envelope, event)
        applied = True
    return DeliveryStatus.PROCESSED if applied else DeliveryStatus.IGNORED


def _envelope_for(delivery: WebhookDelivery, event: RemoteEvent) -> Envelope | None:
    """The envelope the event is about: within the delivery's connection, or — for a provider's
    shared URL — the one envelope of that provider with this remote id."""
    envelopes = Envelope.objects.select_related("connection").filter(
        provider=delivery.provider, remote_id=event.remote_id
    )
    if delivery.connection_id is not None:
        return envelopes.filter(connection=delivery.connection_id).first()
    if delivery.scope.startswith("connection:"):
        return None  # its connection was deleted since
    return envelopes.first()


def _opened(envelope: Envelope, event: RemoteEvent) -> None:
    """Marks who opened. Providers that do not say who (Formify) leave one candidate when only one
    participant is invited; with several, nobody is guessed."""
    remote_id = event.data.get("participant_remote_id")
    invited = envelope.participants.filter(status=ParticipantStatus.INVITED)
    candidates = list(invited.filter(remote_id=remote_id) if remote_id else invited[:2])
    if len(candidates) == 1:
        participant_transition(
            participant=candidates[0],
            to=ParticipantStatus.OPENED,
            source=EventSource.PROVIDER,
            remote_event_id=event.event_id,
            at=event.occurred_at,
        )


def _finish(delivery: WebhookDelivery, status: str) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=status, error="", processed_at=timezone.now())


def _failed(delivery: WebhookDelivery, message: str, *, permanent: bool) -> str:
    """Tried again later (the retry sweep), up to MAX_ATTEMPTS, then marked failed — replayable."""
    give_up = permanent or delivery.attempts >= MAX_ATTEMPTS
    status = DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=status, error=message[:1000])
    log.info("webhook delivery %s: %s (%s)", delivery.pk, message, status)
    return f"{status}: {message}"


def webhook_deliveries_retry(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Ids of pending deliveries that were not applied promptly (a worker died, the provider was
    down, an answer could not be read), for the caller to run again. Each retry waits longer."""
    now = now or timezone.now()
    stale = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, received_at__lt=now - RETRY_AFTER, attempts__lt=MAX_ATTEMPTS
    )
    due = [
        (pk, attempts)
        for pk, attempts, received in stale.order_by("received_at").values_list("pk", "attempts", "received_at")[
            : limit * 2
        ]
        if received <= now - RETRY_AFTER * (2 ** max(attempts - 1, 0))
    ]
    return [pk for pk, _ in due[:limit]]
