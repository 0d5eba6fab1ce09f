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
from providers import webhooks
from providers.base import Capability, ConnectKind, Provider, ProviderError, WebhookUrl
from providers.connect import oauth1
from providers.models import ConnectionStatus, ProviderConnection
from providers.oauth import authorization_begin, code_exchange, credentials_from_token
from providers.registry import PROVIDERS, adapter_for, all_providers, available_providers, provider_class

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
    enabled: bool = True  # its settings are present on this installation
    settings_needed: tuple[str, ...] = ()  # what the operator sets to enable it
    redirects: bool = False  # *Connect* goes to the provider's sign-in page
    credential_fields: tuple = ()  # what an admin pastes instead
    callback_url: str = ""  # to register at the provider (redirecting kinds)
    shared_webhook_url: str = ""  # to configure in the provider's dashboard (per-provider webhooks)


def provider_cards(org: Organization) -> list[ProviderCard]:
    """Every provider Paraph supports, with the organization's connections to it; providers that are
    not enabled on this installation say so (and, for admins, what enables them)."""
    connections = list(org_scoped(ProviderConnection, org).exclude(status=ConnectionStatus.DISABLED).order_by("label"))
    return [_card(provider, connections) for provider in all_providers()]


def _card(provider: type[Provider], connections: list[ProviderConnection]) -> ProviderCard:
    enabled = provider.configured()
    redirects = enabled and redirects_to_connect(provider)
    shared = provider.webhook_url_shape == WebhookUrl.PER_PROVIDER and provider.webhook_scheme not in (None, "internal")
    return ProviderCard(
        id=provider.id,
        name=provider.name,
        summary=provider.summary,
        features=features(provider),
        needs_account=bool(provider.connect),
        connections=[c for c in connections if c.provider == provider.id] if enabled else [],
        enabled=enabled,
        settings_needed=provider.settings_needed,
        redirects=redirects,
        credential_fields=provider.credential_fields if provider.connect and not redirects else (),
        callback_url=callback_url(provider.id) if provider.connect in (ConnectKind.OAUTH2, ConnectKind.OAUTH1) else "",
        shared_webhook_url=webhooks.provider_webhook_url(provider.id) if shared else "",
    )


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
    """Where *Connect* may send the browser: each redirecting provider's consent page origin."""
    origins = []
    for provider_id in available_providers():
        provider = provider_class(provider_id)
        url = ""
        if provider.connect == ConnectKind.OAUTH2:
            url = provider.oauth_client().authorize_url
        elif provider.connect == ConnectKind.OAUTH1 and provider.oauth1_client() is not None:
            url = provider.oauth1_client().authorize_url
        if url:
            parts = urlsplit(url)
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def callback_url(provider_id: str) -> str:
    """The redirect URI to register with the provider."""
    return settings.SITE_URL + reverse("connection_callback", args=[provider_id])


def webhook_url(connection: ProviderConnection) -> str:
    """Where the provider sends this connection's events (see `providers.webhooks.webhook_url`)."""
    return webhooks.webhook_url(connection)


def _usable_provider(provider_id: str) -> type[Provider]:
    if provider_id not in PROVIDERS or not provider_class(provider_id).configured():
        raise ValidationError("This provider is not available on this installation.")
    provider = provider_class(provider_id)
    if not provider.connect:
        raise ValidationError(f"{provider.name} needs no account to connect.")
    return provider


def redirects_to_connect(provider: type[Provider]) -> bool:
    """True when *Connect* sends the browser to the provider (OAuth 2, three-legged OAuth 1)."""
    if provider.connect == ConnectKind.OAUTH2:
        return True
    return provider.connect == ConnectKind.OAUTH1 and provider.oauth1_client() is not None


def connection_begin(*, session, org: Organization, provider_id: str, label: str, reconnect: int | None = None) -> str:
    """Starts a redirecting connect: remembers what the callback must match (OAuth 2 state and PKCE
    verifier, or OAuth 1 temporary credentials) in the session; returns the consent URL."""
    provider = _usable_provider(provider_id)
    if not redirects_to_connect(provider):
        raise ValidationError(f"{provider.name} is connected by pasting the account's credentials.")
    entry = {"org": org.pk, "provider": provider_id, "label": label.strip()[:100] or provider.name,
             "reconnect": reconnect, "at": timezone.now().timestamp()}
    if provider.connect == ConnectKind.OAUTH1:
        try:
            temporary = oauth1.temporary_credentials(provider.oauth1_client(), callback_uri=callback_url(provider_id))
        except ProviderError as exc:
            raise ValidationError(exc.message) from None
        _pending_add(session, f"oauth1:{temporary.token}", {**entry, "secret": temporary.secret})
        return temporary.url
    authorization = authorization_begin(provider.oauth_client(), redirect_uri=callback_url(provider_id))
    _pending_add(session, authorization.state, {**entry, "verifier": authorization.code_verifier})
    return authorization.url


def _pending_add(session, key: str, entry: dict) -> None:
    now = timezone.now().timestamp()
    pending = {k: e for k, e in dict(session.get(SESSION_KEY, {})).items() if now - e["at"] < STATE_TTL}
    pending[key] = entry
    session[SESSION_KEY] = pending


def _pending_take(session, key: str, org: Organization, provider_id: str) -> dict:
    """The entry the callback answers: single use, unexpired, same provider and organization."""
    pending = dict(session.get(SESSION_KEY, {}))
    entry = pending.pop(key, None) if key else None
    session[SESSION_KEY] = pending  # used once, whatever happens next
    if entry is None or entry["provider"] != provider_id or timezone.now().timestamp() - entry["at"] > STATE_TTL:
        raise ValidationError("This authorization link is not valid any more; start connecting again.")
    if entry["org"] != org.pk:
        raise ValidationError("This authorization was started for another organization; switch back and retry.")
    return entry


def connection_complete(*, session, org: Organization, provider_id: str, params, actor) -> ProviderConnection:
    """Finishes a redirecting connect on the callback: checks what the session remembered (single use,
    same organization), trades the code or verifier for credentials, reads the account and sets up
    webhooks. Raises ValidationError in words."""
    provider = _usable_provider(provider_id)
    if provider.connect == ConnectKind.OAUTH1:
        return _oauth1_complete(session, org, provider, params, actor)
    entry = _pending_take(session, params.get("state", ""), org, provider_id)
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
    credentials, expires_at = credentials_from_token(token)
    return _connection_store(org, provider, entry, credentials, expires_at, actor)


def _oauth1_complete(session, org, provider: type[Provider], params, actor) -> ProviderConnection:
    # A refusal names the temporary token in `denied` (and may carry no `oauth_token` at all).
    token = params.get("oauth_token") or params.get("denied") or ""
    entry = _pending_take(session, f"oauth1:{token}" if token else "", org, provider.id)
    if params.get("denied") or not params.get("oauth_verifier"):
        raise ValidationError(f"{provider.name} did not grant access; nothing was connected.")
    try:
        credentials = oauth1.token_credentials(
            provider.oauth1_client(), token=token, secret=entry["secret"], verifier=params["oauth_verifier"]
        )
    except ProviderError as exc:
        raise ValidationError(exc.message) from None
    return _connection_store(org, provider, entry, credentials, None, actor)


def connection_paste(
    *, org: Organization, provider_id: str, label: str, fields, actor, reconnect: int | None = None
) -> ProviderConnection:
    """Connects with credentials an admin pasted (OAuth 1 personal access credentials, an API token,
    or an API key and secret). They are tried against the provider first: refused ones are not
    stored. Raises ValidationError in words."""
    provider = _usable_provider(provider_id)
    if provider.connect not in (ConnectKind.OAUTH1, ConnectKind.API_CREDENTIALS):
        raise ValidationError(f"{provider.name} is connected through its own sign-in page, not with pasted keys.")
    credentials = pasted_credentials(provider, fields)
    entry = {"org": org.pk, "provider": provider_id, "label": label.strip()[:100] or provider.name,
             "reconnect": reconnect}
    return _connection_store(org, provider, entry, credentials, None, actor)


def pasted_credentials(provider: type[Provider], fields) -> dict:
    """The credentials from the form: the first complete alternative the provider lists."""
    given = {field.name: (fields.get(field.name) or "").strip() for field in provider.credential_fields}
    if provider.connect == ConnectKind.OAUTH1:
        credentials = oauth1.pasted_credentials(given)
        missing = [f.label for f in provider.credential_fields if f.name in credentials and not credentials[f.name]]
        if missing:
            raise ValidationError(f"Fill in {', '.join(missing)}.")
        return credentials
    if given.get("api_token"):
        return {"api_token": given["api_token"]}
    if given.get("api_key") and given.get("api_secret"):
        return {"api_key": given["api_key"], "api_secret": given["api_secret"]}
    raise ValidationError("Paste the organization's API token, or its API key and secret.")


def _connection_store(org, provider: type[Provider], entry: dict, credentials: dict, expires_at, actor):
    """Saves the credentials, then proves them: reads the account and sets up webhooks. A refusal
    leaves nothing behind (a reconnect keeps the old row as it was)."""
    connection = _reconnected(org, entry) or ProviderConnection(org=org, provider=provider.id, created_by=actor)
    previous = {name: getattr(connection, name) for name in STORED_ACCESS} if connection.pk else None
    connection.label = entry["label"] if not connection.pk else connection.label
    connection.credentials = credentials
    connection.expires_at = expires_at
    connection.status = ConnectionStatus.CONNECTED
    connection.last_error = ""
    connection.save()
    adapter = adapter_for(provider.id, connection)
    try:
        account = adapter.account()
        webhooks.webhook_setup(adapter, connection)
    except ProviderError as exc:
        _abandon(connection, adapter, previous)
        raise ValidationError(f"{provider.name} refused the connection: {exc.message}") from None
    connection.account_id, connection.account_name, connection.account_email = account.id, account.name, account.email
    connection.last_checked_at = timezone.now()
    connection.expiry_warned_at = None
    connection.save()
    log.info("connection %s (%s) connected", connection.pk, provider.id)
    return connection


def _reconnected(org, entry) -> ProviderConnection | None:
    if not entry.get("reconnect"):
        return None
    return org_scoped(ProviderConnection, org).filter(pk=entry["reconnect"], provider=entry["provider"]).first()


# What a reconnect overwrites before the provider has accepted the new access.
STORED_ACCESS = (
    "credentials_encrypted", "expires_at", "status", "last_error", "webhook_id", "webhook_secret_encrypted"
)


def _abandon(connection: ProviderConnection, adapter: Provider, previous: dict | None) -> None:
    """A half-made connection is not kept. A refused reconnect puts the row back as it was: the
    access it had (working or not) is not lost to credentials the provider refused."""
    try:
        adapter.disconnect()
    except ProviderError:
        pass
    if previous is None:
        connection.delete()
        return
    for name, value in previous.items():
        setattr(connection, name, value)
    connection.save(update_fields=[*previous, "updated_at"])


def connection_test(*, connection: ProviderConnection) -> str:
    """Calls the provider with the stored access; returns the account name. ValidationError if it fails."""
    adapter = adapter_for(connection.provider, connection)
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
    adapter = adapter_for(connection.provider, connection)
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
