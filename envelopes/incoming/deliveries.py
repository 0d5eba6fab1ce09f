"""Applying stored webhook deliveries: the envelope is re-read from the provider (webhook bodies are
thin and may be late or out of order) and the result goes through the state machine.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from envelopes.incoming.apply import snapshot_apply
from envelopes.lifecycle.states import participant_transition
from envelopes.models import Envelope, EventSource, ParticipantStatus
from providers.base import ProviderError, RemoteEvent, WebhookRefused
from providers.models import DeliveryStatus, WebhookDelivery
from providers.registry import provider_class, provider_exists

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
        return _failed(delivery, exc)
    _finish(delivery, outcome)
    return outcome


def _apply(delivery: WebhookDelivery) -> str:
    if not provider_exists(delivery.provider) or delivery.connection is None:
        return DeliveryStatus.IGNORED
    provider = provider_class(delivery.provider)(delivery.connection)
    try:
        events = provider.webhook_events(delivery.body.encode())
    except WebhookRefused:
        return DeliveryStatus.IGNORED
    applied = False
    for event in events:
        envelope = Envelope.objects.filter(
            provider=delivery.provider, connection=delivery.connection, remote_id=event.remote_id
        ).first()
        if envelope is None or event.kind not in TRACKED:
            continue  # not sent from Paraph, or nothing Paraph shows
        snapshot_apply(envelope, provider.fetch(event.remote_id))
        if event.kind == "participant.opened":
            _opened(envelope, event)
        applied = True
    return DeliveryStatus.PROCESSED if applied else DeliveryStatus.IGNORED


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


def _failed(delivery: WebhookDelivery, exc: ProviderError) -> str:
    """A provider error while re-reading: tried again later, up to MAX_ATTEMPTS, then marked failed."""
    give_up = exc.permanent or delivery.attempts >= MAX_ATTEMPTS
    status = DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=status, error=exc.message[:1000])
    log.info("webhook delivery %s: %s (%s)", delivery.pk, exc.message, status)
    return f"{status}: {exc.message}"


def webhook_deliveries_retry(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Ids of pending deliveries that were not applied promptly (a worker died, the provider was
    down), for the caller to run again."""
    now = now or timezone.now()
    stale = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, received_at__lt=now - RETRY_AFTER, attempts__lt=MAX_ATTEMPTS
    )
    return list(stale.order_by("received_at").values_list("pk", flat=True)[:limit])
