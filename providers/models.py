"""What Paraph keeps about provider accounts: the connection (tokens, webhook secret — both
encrypted) and every webhook delivery received, kept for deduplication and replay."""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.kernel import crypto
from portal.models import Organization

# Admins are warned this long before a connection's access ends for good.
EXPIRY_WARNING = timedelta(days=1)


class ConnectionStatus(models.TextChoices):
    CONNECTED = "connected", "Connected"
    NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
    DISABLED = "disabled", "Disconnected"

    @classmethod
    def live(cls) -> list[str]:
        """Connections that are still shown and can be repaired (not disconnected)."""
        return [cls.CONNECTED, cls.NEEDS_RECONNECT]


class ProviderConnection(models.Model):
    """One account an organization holds with a provider. Several per provider are allowed."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="provider_connections")
    provider = models.CharField(max_length=40, help_text="Registry id of the provider.")
    label = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.CONNECTED)
    # OAuth token (access, refresh, expiry) or API keys, as encrypted JSON; see `credentials`.
    credentials_encrypted = models.BinaryField(default=b"", editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When the access token expires.")
    account_id = models.CharField(max_length=200, blank=True)
    account_name = models.CharField(max_length=200, blank=True)
    account_email = models.CharField(max_length=254, blank=True)
    webhook_id = models.CharField(max_length=200, blank=True)
    webhook_secret_encrypted = models.BinaryField(default=b"", editable=False)
    last_error = models.TextField(blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # Set when the org's admins were warned that access ends soon (an expiry with no renewal).
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    org_path = "org"

    class Meta:
        indexes = [
            models.Index(fields=["org", "provider"], name="connection_org_provider"),
            # The token-refresh sweep looks at live connections by expiry.
            models.Index(fields=["expires_at"], condition=models.Q(status="connected"), name="connection_refresh_due"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def credentials(self) -> dict:
        if not self.credentials_encrypted:
            return {}
        return json.loads(crypto.decrypt(self.credentials_encrypted))

    @credentials.setter
    def credentials(self, value: dict) -> None:
        self.credentials_encrypted = crypto.encrypt(json.dumps(value).encode()) if value else b""

    @property
    def webhook_secret(self) -> str:
        return crypto.decrypt(self.webhook_secret_encrypted).decode() if self.webhook_secret_encrypted else ""

    @webhook_secret.setter
    def webhook_secret(self, value: str) -> None:
        self.webhook_secret_encrypted = crypto.encrypt(value.encode()) if value else b""

    @property
    def is_usable(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED

    @property
    def expiry_is_final(self) -> bool:
        """Access ends at `expires_at` and nothing can renew it (no refresh token, no API key)."""
        if self.expires_at is None:
            return False
        credentials = self.credentials
        return not (credentials.get("refresh_token") or credentials.get("api_key"))

    @property
    def expires_soon(self) -> bool:
        return self.expiry_is_final and self.expires_at - timezone.now() <= EXPIRY_WARNING

    def reencrypt(self) -> bool:
        """Re-encrypts the stored secrets with the newest key; True when there was something to do."""
        fields = [name for name in ("credentials_encrypted", "webhook_secret_encrypted") if getattr(self, name)]
        for name in fields:
            setattr(self, name, crypto.rotate(getattr(self, name)))
        return bool(fields)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """A verified event from a provider, stored before it is applied: one row per event (a call
    carrying several makes several). Unique per connection and event id, so an event that arrives
    twice is applied once while the same event sent to two connections of one account is applied
    for each. Built-in signing stores its events here too."""

    provider = models.CharField(max_length=40)
    connection = models.ForeignKey(
        ProviderConnection, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    # "connection:<id>", or "provider" for a provider's shared URL: what event ids are unique in.
    # Kept apart from `connection` so that deleting a connection never makes two rows collide.
    scope = models.CharField(max_length=40, default="provider")
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=100, blank=True)
    remote_id = models.CharField(max_length=200, blank=True, help_text="The provider's id of the envelope.")
    received_at = models.DateTimeField(default=timezone.now)
    headers = models.JSONField(default=dict, blank=True, help_text="Signature headers are not kept.")
    body = models.TextField(blank=True)
    verified = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    org_path = "connection__org"

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["provider", "scope", "event_id"], name="webhook_delivery_once_per_scope")
        ]
        indexes = [
            models.Index(fields=["-received_at"], name="delivery_newest"),
            models.Index(fields=["status", "received_at"], name="delivery_status"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"
