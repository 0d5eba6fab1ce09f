"""Renewing access tokens (OAuth 2, exchanged API keys) before they expire, so no user action or webhook ever waits on a
refresh. Concurrent runs are safe: a refresh locks its connection row (see ConnectionTokens)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from providers.base import AuthExpired, ConnectKind, ProviderError
from providers.connect.api_credentials import uses_key_and_secret
from providers.connect.auth import connection_auth
from providers.models import ConnectionStatus, ProviderConnection
from providers.registry import PROVIDERS, adapter_for, provider_class

log = logging.getLogger(__name__)

AHEAD = timedelta(minutes=15)  # longer than the schedule's interval, so no token lapses between runs


def tokens_refresh_expiring(*, now: datetime | None = None) -> tuple[int, int]:
    """Renews tokens expiring within AHEAD; returns (renewed, failed)."""
    now = now or timezone.now()
    due = ProviderConnection.objects.filter(
        status=ConnectionStatus.CONNECTED, expires_at__lt=now + AHEAD, provider__in=list(PROVIDERS)
    ).order_by("expires_at")
    renewed = failed = 0
    for connection in due:
        provider = provider_class(connection.provider)
        renewable = provider.connect == ConnectKind.OAUTH2 or (
            provider.connect == ConnectKind.API_CREDENTIALS and uses_key_and_secret(connection.credentials)
        )
        if not renewable or not provider.configured():
            continue
        auth = connection_auth(adapter_for(provider.id, connection), connection)
        try:
            auth.refresh(connection.credentials.get("access_token", ""))
        except AuthExpired:
            failed += 1  # marked *needs reconnect* by the refresh itself
        except ProviderError as exc:
            failed += 1
            ProviderConnection.objects.filter(pk=connection.pk).update(last_error=exc.message)
            log.info("connection %s: token not renewed (%s); next run tries again", connection.pk, exc.message)
        else:
            renewed += 1
    return renewed, failed
