"""Connecting, checking and disconnecting provider accounts (services for the connection screens).

The OAuth state is kept in the session, bound to the organization, and used once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.kernel.tenancy import org_scoped
from portal.models import Organization
from providers.base import Capability, Provider, ProviderError
from providers.models import ConnectionStatus, ProviderConnection
from providers.oauth import authorization_begin, code_exchange, credentials_from_token
from providers.registry import PROVIDERS, available_providers, provider_class

log = logging.getLogger(__name__)

SESSION_KEY = "paraph_oauth"
STATE_TTL = 15 * 60  # seconds a consent page may stay open


@dataclass(frozen=True)
class ProviderCard:
    """One provider on the connection screen, with this organization's accounts."""

    id: str
    name: str
    summary: str
    features: list[str]
    needs_account: bool
    connections: list[ProviderConnection]


def provider_cards(org: Organization) -> list[ProviderCard]:
    """Every provider usable on this installation, with the organization's connections to it."""
    connections = list(org_scoped(ProviderConnection, org).exclude(status=ConnectionStatus.DISABLED).order_by("label"))
    cards = []
    for provider_id in available_providers():
        provider = provider_class(provider_id)
        mine = [connection for connection in connections if connection.provider == provider_id]
        cards.append(
            ProviderCard(provider_id, provider.name, provider.summary, features(provider), bool(provider.connect), mine)
        )
    return cards


FEATURES = {
    Capability.SEQUENTIAL_ORDER: "Signing order",
    Capability.APPROVERS: "Approvers",
    Capability.VIEWERS: "Viewers",
    Capability.EMAIL: "E-mail",
    Capability.SMS: "SMS",
    Capability.WHATSAPP: "WhatsApp",
    Capability.ATTACHMENTS: "Attachments",
    Capability.MULTIPLE_DOCUMENTS: "Several documents",
    Capability.REMINDERS_API: "Reminders",
    Capability.VOID: "Void",
    Capability.WEBHOOKS: "Live updates",
    Capability.SIGNED_DOWNLOAD: "Signed PDF",
    Capability.FIELD_PLACEMENT: "Signature placement",
    Capability.UPDATE_PARTICIPANT: "Change contact after sending",
    Capability.FIELD_VALUES: "Form field values",
    Capability.REMOTE_DELETE: "Deletion at the provider",
}
AUTH_NAMES = {
    "email_otp": "E-mail code",
    "sms_otp": "SMS code",
    "se_bankid": "BankID",
    "id_scan": "ID scan",
    "face_liveness": "Face liveness",
}


def features(provider: type[Provider]) -> list[str]:
    """What the provider supports, in words, for the connection screen."""
    named = [label for capability, label in FEATURES.items() if provider.supports(capability)]
    named += [label for method, label in AUTH_NAMES.items() if provider.supports(Capability.auth(method))]
    return named


def consent_origins() -> list[str]:
    """Where *Connect* may send the browser: each OAuth provider's consent page origin."""
    origins = []
    for provider_id in available_providers():
        provider = provider_class(provider_id)
        if provider.connect == "oauth2":
            parts = urlsplit(provider.oauth_client().authorize_url)
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def callback_url(provider_id: str) -> str:
    """The redirect URI to register with the provider."""
    return settings.SITE_URL + reverse("connection_callback", args=[provider_id])


def webhook_url(connection: ProviderConnection) -> str:
    return settings.SITE_URL + reverse("provider_webhook", args=[connection.provider, connection.pk])


def _oauth_provider(provider_id: str) -> type[Provider]:
    if provider_id not in PROVIDERS or not provider_class(provider_id).configured():
        raise ValidationError("This provider is not available on this installation.")
    provider = provider_class(provider_id)
    if provider.connect != "oauth2":
        raise ValidationError(f"{provider.name} needs no account to connect.")
    return provider


def connection_begin(*, session, org: Organization, provider_id: str, label: str, reconnect: int | None = None) -> str:
    """Starts OAuth: remembers state and PKCE verifier in the session; returns the consent URL."""
    provider = _oauth_provider(provider_id)
    label = label.strip()[:100] or provider.name
    authorization = authorization_begin(provider.oauth_client(), redirect_uri=callback_url(provider_id))
    pending = dict(session.get(SESSION_KEY, {}))
    now = timezone.now().timestamp()
    pending = {state: entry for state, entry in pending.items() if now - entry["at"] < STATE_TTL}
    pending[authorization.state] = {
        "org": org.pk,
        "provider": provider_id,
        "label": label,
        "verifier": authorization.code_verifier,
        "reconnect": reconnect,
        "at": now,
    }
    session[SESSION_KEY] = pending
    return authorization.url


def connection_complete(*, session, org: Organization, provider_id: str, params, actor) -> ProviderConnection:
    """Finishes OAuth on the callback: checks the state (single use, same organization), exchanges
    the code, reads the account and registers the webhook. Raises ValidationError in words."""
    provider = _oauth_provider(provider_id)
    pending = dict(session.get(SESSION_KEY, {}))
    entry = pending.pop(params.get("state", ""), None)
    session[SESSION_KEY] = pending  # used once, whatever happens next
    if entry is None or entry["provider"] != provider_id or timezone.now().timestamp() - entry["at"] > STATE_TTL:
        raise ValidationError("This authorization link is not valid any more; start connecting again.")
    if entry["org"] != org.pk:
        raise ValidationError("This authorization was started for another organization; switch back and retry.")
    if params.get("error"):
        raise ValidationError(f"{provider.name} did not grant access ({params['error']}); nothing was connected.")
    if not params.get("code"):
        raise ValidationError(f"{provider.name} sent no authorization code; start connecting again.")
    try:
        token = code_exchange(
            provider.oauth_client(),
            code=params["code"],
            redirect_uri=callback_url(provider_id),
            code_verifier=entry["verifier"],
        )
    except ProviderError as exc:
        raise ValidationError(exc.message) from None
    return _connection_store(org, provider, entry, token, actor)


def _connection_store(org, provider: type[Provider], entry: dict, token: dict, actor) -> ProviderConnection:
    credentials, expires_at = credentials_from_token(token)
    connection = _reconnected(org, entry) or ProviderConnection(org=org, provider=provider.id, created_by=actor)
    connection.label = entry["label"] if not connection.pk else connection.label
    connection.credentials = credentials
    connection.expires_at = expires_at
    connection.status = ConnectionStatus.CONNECTED
    connection.last_error = ""
    connection.save()
    adapter = provider(connection)
    try:
        account = adapter.account()
        if connection.webhook_id:
            adapter.webhook_delete(connection.webhook_id)
        webhook_id, secret = adapter.webhook_register(webhook_url(connection))
    except ProviderError as exc:
        _abandon(connection, adapter, exc)
        raise ValidationError(f"{provider.name} accepted the authorization but then refused: {exc.message}") from None
    connection.account_id, connection.account_name, connection.account_email = account.id, account.name, account.email
    connection.webhook_id = webhook_id
    connection.webhook_secret = secret
    connection.last_checked_at = timezone.now()
    connection.save()
    log.info("connection %s (%s) connected", connection.pk, provider.id)
    return connection


def _reconnected(org, entry) -> ProviderConnection | None:
    if not entry.get("reconnect"):
        return None
    return org_scoped(ProviderConnection, org).filter(pk=entry["reconnect"], provider=entry["provider"]).first()


def _abandon(connection: ProviderConnection, adapter: Provider, exc: ProviderError) -> None:
    """A half-made connection is not kept (a reconnect keeps the old row, marked)."""
    try:
        adapter.disconnect()
    except ProviderError:
        pass
    if connection.envelopes.exists() or connection.webhook_id:
        connection.status = ConnectionStatus.NEEDS_RECONNECT
        connection.last_error = exc.message
        connection.save(update_fields=["status", "last_error", "updated_at"])
    else:
        connection.delete()


def connection_test(*, connection: ProviderConnection) -> str:
    """Calls the provider with the stored access; returns the account name. ValidationError if it fails."""
    adapter = provider_class(connection.provider)(connection)
    try:
        account = adapter.account()
    except ProviderError as exc:
        ProviderConnection.objects.filter(pk=connection.pk).update(last_error=exc.message)
        raise ValidationError(exc.message) from None
    connection.account_name = account.name or connection.account_name
    connection.last_checked_at = timezone.now()
    connection.last_error = ""
    connection.save(update_fields=["account_name", "last_checked_at", "last_error", "updated_at"])
    return connection.account_name


def connection_disconnect(*, connection: ProviderConnection) -> list[str]:
    """Deletes the webhook, revokes the tokens and forgets them; the envelopes are kept. Returns
    what could not be done at the provider (the connection is disconnected here regardless)."""
    adapter = provider_class(connection.provider)(connection)
    problems = []
    if connection.webhook_id and connection.status == ConnectionStatus.CONNECTED:
        try:
            adapter.webhook_delete(connection.webhook_id)
        except ProviderError as exc:
            problems.append(f"The webhook was not removed at {adapter.name}: {exc.message}")
    try:
        adapter.disconnect()
    except ProviderError as exc:
        problems.append(exc.message)
    connection.credentials = {}
    connection.webhook_secret = ""
    connection.webhook_id = ""
    connection.expires_at = None
    connection.status = ConnectionStatus.DISABLED
    connection.save()
    log.info("connection %s disconnected", connection.pk)
    return problems


def connection_rename(*, connection: ProviderConnection, label: str) -> None:
    label = label.strip()
    if not label:
        raise ValidationError("Give the connection a name, e.g. the account's team.")
    connection.label = label[:100]
    connection.save(update_fields=["label", "updated_at"])
