"""API credentials: an organization's static API token, sent as a bearer token, or a key and
secret that the provider exchanges for a short-lived JWT, renewed ahead of expiry and after a 401.

Stored credentials: `api_token`, or `api_key` + `api_secret` (+ the current `access_token`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from providers.base import AuthExpired, Provider
from providers.models import ConnectionStatus, ProviderConnection

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=2)


def uses_key_and_secret(credentials: dict) -> bool:
    return bool(credentials.get("api_key") and credentials.get("api_secret"))


class ApiCredentials:
    """An Authorizer for the HTTP layer: `Authorization: Bearer <token or JWT>`."""

    def __init__(self, connection: ProviderConnection, adapter: Provider):
        self.connection = connection
        self.adapter = adapter

    def headers(self, method: str, url: str) -> tuple[dict[str, str], str]:
        connection = self.connection
        if connection.status != ConnectionStatus.CONNECTED:
            raise AuthExpired(f"The {connection.label} connection needs reconnecting before Paraph can use it.")
        credentials = connection.credentials
        if uses_key_and_secret(credentials):
            token = credentials.get("access_token", "")
            if not token or (connection.expires_at and connection.expires_at - REFRESH_MARGIN <= timezone.now()):
                token = self._renew(token)
        else:
            token = credentials.get("api_token", "")
        if not token:
            raise AuthExpired(f"The {connection.label} connection has no API credentials; connect it again.")
        return {"Authorization": f"Bearer {token}"}, token

    def refresh(self, rejected: str) -> None:
        if not uses_key_and_secret(self.connection.credentials):
            message = f"{self.adapter.name} refused the API token of {self.connection.label}; paste a new one."
            self.revoked(message)
            raise AuthExpired(message)
        self._renew(rejected)

    def revoked(self, message: str) -> None:
        from providers.oauth import connection_needs_reconnect

        connection_needs_reconnect(self.connection, message)

    def _renew(self, rejected: str) -> str:
        """A fresh JWT; the row lock keeps two workers from renewing at once."""
        try:
            with transaction.atomic():
                fresh = ProviderConnection.objects.select_for_update().get(pk=self.connection.pk)
                credentials = fresh.credentials
                current = credentials.get("access_token", "")
                still_good = fresh.expires_at is None or fresh.expires_at - REFRESH_MARGIN > timezone.now()
                if current and current != rejected and still_good:
                    self._adopt(fresh)
                    return current  # another worker renewed it meanwhile
                renew = self.adapter.api_credentials_refresh if current else self.adapter.api_credentials_exchange
                token, expires_at = renew(credentials)
                fresh.credentials = {**credentials, "access_token": token}
                fresh.expires_at = expires_at
                fresh.last_error = ""
                fresh.save(update_fields=["credentials_encrypted", "expires_at", "last_error", "updated_at"])
                self._adopt(fresh)
                log.info("connection %s: API token renewed", fresh.pk)
                return token
        except AuthExpired as exc:
            self.revoked(exc.message)
            raise

    def _adopt(self, fresh: ProviderConnection) -> None:
        for name in ("credentials_encrypted", "expires_at", "status", "last_error"):
            setattr(self.connection, name, getattr(fresh, name))
