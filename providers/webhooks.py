"""Webhook intake: verify, store once per provider event id, answer fast. Applying the event to the
envelope happens in a task (`envelopes.tasks.apply_webhook_delivery`), after re-reading the
envelope from the provider."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db import connection as db
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_q.conf import Conf
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
            _acknowledge_without_waiting_for_disk()
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
            _apply_later(delivery.pk, f"webhook {delivery.pk}")
            return delivery
    except IntegrityError:
        return None


def _acknowledge_without_waiting_for_disk() -> None:
    """On PostgreSQL this transaction does not wait for its commit to reach the disk, which would
    cap intake at one delivery per disk flush. Only an operating-system crash in the moment after
    the 2xx could lose a delivery, and the envelope is then repaired by polling: the provider still
    holds its state, the webhook only tells Paraph to re-read it."""
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _apply_later(delivery_id: int, name: str) -> None:
    """Queues the apply task. With the database as the queue broker the task row is written in the
    delivery's own transaction (one commit, and never a task without its delivery); with Redis,
    or when tasks run inline, it is queued once the delivery is committed."""
    if settings.Q_CLUSTER.get("orm") and not Conf.SYNC:
        async_task(APPLY_TASK, delivery_id, task_name=name)
    else:
        transaction.on_commit(lambda: async_task(APPLY_TASK, delivery_id, task_name=name))


def delivery_replay(*, delivery: WebhookDelivery) -> None:
    """An operator's replay: the delivery is applied again from scratch (applying is idempotent)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING, attempts=0, error="")
    _apply_later(delivery.pk, f"webhook {delivery.pk} replay")
