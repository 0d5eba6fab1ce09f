"""Webhook intake: verify, store once per provider event id, answer fast. Applying the event to the
envelope happens in a task (`envelopes.tasks.apply_webhook_delivery`), after re-reading the
envelope from the provider."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_q.tasks import async_task

from providers.base import WebhookRefused
from providers.models import ConnectionStatus, DeliveryStatus, ProviderConnection, WebhookDelivery
from providers.registry import PROVIDERS, provider_class

log = logging.getLogger(__name__)

# Kept with the delivery for operators; signatures and anything else are not.
KEPT_HEADERS = ("Content-Type", "User-Agent", "X-Formify-Timestamp")
APPLY_TASK = "envelopes.tasks.apply_webhook_delivery"


@csrf_exempt
@require_POST
def webhook_receive(request, provider_id: str, connection_id: int):
    # Public endpoint: the caller proves itself with the connection's webhook secret, so the
    # connection is looked up by id alone (not through an organization).
    connection = ProviderConnection.objects.filter(
        pk=connection_id, provider=provider_id, status__in=ConnectionStatus.live()
    ).first()
    if connection is None or provider_id not in PROVIDERS:
        return HttpResponse("Unknown webhook.", status=404, content_type="text/plain")
    adapter = provider_class(provider_id)(connection)
    body = request.body
    try:
        adapter.webhook_verify(body, request.headers)
        events = adapter.webhook_events(body)
    except WebhookRefused as exc:
        log.warning("webhook for connection %s refused: %s", connection_id, exc.message)
        return HttpResponse(exc.message, status=401, content_type="text/plain")
    headers = {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}
    stored = [delivery for event in events if (delivery := _store(connection, event, headers, body))]
    return JsonResponse({"received": len(events), "new": len(stored)})


def _store(connection: ProviderConnection, event, headers: dict, body: bytes) -> WebhookDelivery | None:
    """The new delivery, or None when this event id was stored before (a retry or duplicate)."""
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                provider=connection.provider,
                connection=connection,
                event_id=event.event_id,
                event_type=event.data.get("type") or event.kind,
                remote_id=event.remote_id,
                headers=headers,
                body=body.decode("utf-8", errors="replace"),
                verified=True,
                status=DeliveryStatus.PENDING,
            )
            transaction.on_commit(lambda: async_task(APPLY_TASK, delivery.pk, task_name=f"webhook {delivery.pk}"))
            return delivery
    except IntegrityError:
        return None


def delivery_replay(*, delivery: WebhookDelivery) -> None:
    """An operator's replay: the delivery is applied again from scratch (applying is idempotent)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING, attempts=0, error="")
    transaction.on_commit(lambda: async_task(APPLY_TASK, delivery.pk, task_name=f"webhook {delivery.pk} replay"))
