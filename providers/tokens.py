"""Renewing OAuth access tokens before they expire, so no user action or webhook ever waits on a
refresh. Concurrent runs are safe: a refresh locks its connection row (see ConnectionTokens)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from providers.base import AuthExpired, ProviderError
from providers.models import ConnectionStatus, ProviderConnection
from providers.oauth import ConnectionTokens
from providers.registry import PROVIDERS, provider_class

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
        if provider.connect != "oauth2" or not provider.configured():
            continue
        tokens = ConnectionTokens(connection, provider.oauth_client())
        try:
            tokens.refresh(connection.credentials.get("access_token", ""))
        except AuthExpired:
            failed += 1  # marked *needs reconnect* by the refresh itself
        except ProviderError as exc:
            failed += 1
            ProviderConnection.objects.filter(pk=connection.pk).update(last_error=exc.message)
            log.info("connection %s: token not renewed (%s); next run tries again", connection.pk, exc.message)
        else:
            renewed += 1
    return renewed, failed
