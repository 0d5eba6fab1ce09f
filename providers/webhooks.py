"""Webhook intake for every verification scheme: verify, store once per connection and event id,
answer fast. Applying the events to envelopes happens in a task
(`envelopes.tasks.apply_webhook_delivery`).

URL shapes (`Provider.webhook_url_shape`):
- per connection: `/webhooks/<provider>/<connection>/`, or `/webhooks/<provider>/<connection>/<secret>/`
  when the scheme is a secret in the URL;
- per provider: `/webhooks/<provider>/`, configured once in the provider's dashboard; the
  delivery is matched to its envelope (and so its connection) by the provider's ids in it.

Schemes (`Provider.webhook_scheme`): HMAC and JWS are checked by the adapter
(`providers.webhook_signatures` has the shared verifiers); a URL secret is compared here; NONE
proves nothing, so its events are only hints: the envelope is always re-read from the provider.
"""

from __future__ import annotations

import hmac
import logging
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db import connection as db
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_q.conf import Conf
from django_q.tasks import async_task

from providers.base import Provider, ProviderError, RemoteEvent, WebhookRefused, WebhookScheme, WebhookUrl
from providers.models import ConnectionStatus, DeliveryStatus, ProviderConnection, WebhookDelivery
from providers.registry import PROVIDERS, adapter_for, provider_class

log = logging.getLogger(__name__)

APPLY_TASK = "envelopes.tasks.apply_webhook_delivery"
REDACTED = "[redacted]"
SECRET_BYTES = 32


# --- Where providers send events -----------------------------------------------------------------


def webhook_url(connection: ProviderConnection) -> str:
    """The URL to give the provider for this connection ("" for providers without webhooks)."""
    provider = provider_class(connection.provider)
    if provider.webhook_scheme in (None, WebhookScheme.INTERNAL):
        return ""
    if provider.webhook_url_shape == WebhookUrl.PER_PROVIDER:
        return provider_webhook_url(connection.provider)
    if provider.webhook_scheme == WebhookScheme.URL_SECRET:
        args = [connection.provider, connection.pk, connection.webhook_secret]
        return settings.SITE_URL + reverse("provider_webhook_secret", args=args)
    return settings.SITE_URL + reverse("provider_webhook", args=[connection.provider, connection.pk])


def provider_webhook_url(provider_id: str) -> str:
    """The one URL configured in a provider's dashboard (PER_PROVIDER shape)."""
    return settings.SITE_URL + reverse("provider_webhook_shared", args=[provider_id])


def webhook_setup(adapter: Provider, connection: ProviderConnection) -> None:
    """Gives a newly (re)connected account its webhook: a fresh URL secret where the URL carries
    one, and a subscription where Paraph registers it through the provider's API."""
    scheme = adapter.webhook_scheme
    if scheme in (None, WebhookScheme.INTERNAL, WebhookScheme.NONE) or adapter.webhook_url_shape != (
        WebhookUrl.PER_CONNECTION
    ):
        return
    if scheme == WebhookScheme.URL_SECRET:
        connection.webhook_secret = secrets.token_urlsafe(SECRET_BYTES)
        connection.save(update_fields=["webhook_secret_encrypted", "updated_at"])
    if not adapter.webhook_registered:
        return
    if connection.webhook_id:
        adapter.webhook_delete(connection.webhook_id)
    webhook_id, secret = adapter.webhook_register(webhook_url(connection))
    connection.webhook_id = webhook_id
    if scheme != WebhookScheme.URL_SECRET:
        connection.webhook_secret = secret
    connection.save(update_fields=["webhook_id", "webhook_secret_encrypted", "updated_at"])


# --- Intake ------------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def webhook_receive(request, provider_id: str, connection_id: int, token: str = ""):
    """A per-connection delivery. Public: the caller proves itself with the connection's secret, so
    the connection is looked up by id alone (not through an organization)."""
    connection = ProviderConnection.objects.filter(
        pk=connection_id, provider=provider_id, status__in=ConnectionStatus.live()
    ).first()
    if connection is None or provider_id not in PROVIDERS:
        return _unknown()
    adapter = adapter_for(provider_id, connection)
    if adapter.webhook_url_shape != WebhookUrl.PER_CONNECTION:
        return _unknown()
    return _intake(request, adapter, connection, token)


@csrf_exempt
@require_POST
def webhook_receive_shared(request, provider_id: str):
    """A delivery to a provider's one URL (configured in its dashboard)."""
    if provider_id not in PROVIDERS or not provider_class(provider_id).configured():
        return _unknown()
    adapter = adapter_for(provider_id)
    if adapter.webhook_url_shape != WebhookUrl.PER_PROVIDER:
        return _unknown()
    return _intake(request, adapter, None, "")


def _intake(request, adapter: Provider, connection: ProviderConnection | None, token: str):
    body = request.body
    try:
        _verify(adapter, connection, body, request.headers, token)
        events = adapter.webhook_events(body)
    except WebhookRefused as exc:
        log.warning("%s webhook refused (connection %s): %s", adapter.id, getattr(connection, "pk", "-"), exc.message)
        return HttpResponse(exc.message, status=401, content_type="text/plain")
    except ProviderError as exc:
        # Verifying needed the provider (its published keys) and it failed: nothing is stored, and
        # a 503 makes the provider send the delivery again later instead of dropping it.
        log.warning("%s webhook not verified yet (connection %s): %s", adapter.id, getattr(connection, "pk", "-"),
                    exc.message)
        return HttpResponse(exc.message, status=503, content_type="text/plain", headers={"Retry-After": "60"})
    headers = kept_headers(adapter, request.headers)
    stored = [d for event in events if (d := delivery_store(adapter.id, connection, event, headers, body))]
    return JsonResponse({"received": len(events), "new": len(stored)})


def _verify(adapter: Provider, connection, body: bytes, headers, token: str) -> None:
    scheme = adapter.webhook_scheme
    if scheme == WebhookScheme.URL_SECRET:
        expected = connection.webhook_secret if connection is not None else ""
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            raise WebhookRefused("The webhook URL's secret is wrong.")
    elif scheme in (WebhookScheme.HMAC, WebhookScheme.JWS):
        adapter.webhook_verify(body, headers)
    elif scheme != WebhookScheme.NONE:
        raise WebhookRefused("This provider does not send webhooks.")
    if token and scheme != WebhookScheme.URL_SECRET:
        raise WebhookRefused("This webhook URL takes no secret.")


def kept_headers(adapter: Provider, headers) -> dict[str, str]:
    """The request headers kept with a delivery for operators; secrets only as "[redacted]"."""
    kept = {name: headers[name] for name in adapter.webhook_kept_headers if name in headers}
    kept.update({name: REDACTED for name in adapter.webhook_redacted_headers if name in headers})
    return kept


def _unknown() -> HttpResponse:
    return HttpResponse("Unknown webhook.", status=404, content_type="text/plain")


# --- Storing -----------------------------------------------------------------------------------


def delivery_store(
    provider_id: str, connection: ProviderConnection | None, event: RemoteEvent, headers: dict, body: bytes
) -> WebhookDelivery | None:
    """The new delivery, or None when this connection stored this event id before (a retry or a
    replay). One INSERT and one enqueue."""
    try:
        with transaction.atomic():
            _acknowledge_without_waiting_for_disk()
            delivery = WebhookDelivery.objects.create(
                provider=provider_id,
                connection=connection,
                scope=delivery_scope(connection),
                event_id=event.event_id,
                event_type=(event.data.get("type") or event.kind)[:100],
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


def delivery_scope(connection: ProviderConnection | None) -> str:
    """What an event id is unique within: the connection (one provider account connected twice sends
    each event to both), or the provider for its shared URL."""
    return f"connection:{connection.pk}" if connection is not None else "provider"


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
