"""OAuth 2 authorization code flow, written once for every provider that connects this way:
the consent URL (state + PKCE), the code exchange, and the connection's token that refreshes
itself before it expires and once after a 401."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from django.db import transaction
from django.utils import timezone
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient
from requests_oauthlib import OAuth2Session

from providers.base import AuthExpired, ProviderError
from providers.http import TIMEOUT, rate_limit_wait
from providers.models import ConnectionStatus, ProviderConnection

log = logging.getLogger(__name__)

# Refresh this long before the access token expires, so a call never starts with a dying token.
REFRESH_MARGIN = timedelta(minutes=2)
PLACEHOLDER = "https://authorize.invalid/"


@dataclass(frozen=True)
class OAuthClient:
    """A provider's OAuth endpoints and Paraph's registration with it."""

    name: str
    authorize_url: str
    token_url: str
    revoke_url: str
    client_id: str
    client_secret: str
    scope: str
    pkce: bool = True


@dataclass(frozen=True)
class Authorization:
    url: str
    state: str
    code_verifier: str


def authorization_begin(client: OAuthClient, *, redirect_uri: str) -> Authorization:
    """The consent URL to send the browser to, with a fresh state and PKCE verifier."""
    extra = {}
    verifier = ""
    if client.pkce:
        helper = WebApplicationClient(client.client_id)
        verifier = helper.create_code_verifier(64)
        extra = {"code_challenge": helper.create_code_challenge(verifier, "S256"), "code_challenge_method": "S256"}
    session = OAuth2Session(client.client_id, redirect_uri=redirect_uri, scope=client.scope)
    url, state = session.authorization_url(PLACEHOLDER, **extra)
    return Authorization(
        url=_with_query(client.authorize_url, url.partition("?")[2]), state=state, code_verifier=verifier
    )


def _with_query(authorize_url: str, query: str) -> str:
    """Appends the query. Some consent pages are single-page apps whose route is in the fragment
    (`https://app.example/#/oauth`); their query belongs inside the fragment, where oauthlib would
    not put it."""
    base, hash_, fragment = authorize_url.partition("#")
    target = fragment if hash_ else base
    joined = f"{target}{'&' if '?' in target else '?'}{query}"
    return f"{base}#{joined}" if hash_ else joined


def code_exchange(client: OAuthClient, *, code: str, redirect_uri: str, code_verifier: str) -> dict:
    """The token for an authorization code. Raises ProviderError (permanent when refused)."""
    session = OAuth2Session(client.client_id, redirect_uri=redirect_uri)
    session.register_compliance_hook("access_token_response", _answer_checker(client))
    extra = {"code_verifier": code_verifier} if code_verifier else {}
    return _token_call(
        client,
        lambda: session.fetch_token(
            client.token_url,
            code=code,
            client_secret=client.client_secret,
            include_client_id=True,
            timeout=TIMEOUT,
            **extra,
        ),
    )


def token_refresh(client: OAuthClient, refresh_token: str) -> dict:
    """A new token; AuthExpired when the provider refuses the refresh token."""
    session = OAuth2Session(client.client_id, token={"refresh_token": refresh_token, "token_type": "Bearer"})
    session.register_compliance_hook("refresh_token_response", _answer_checker(client))
    token = _token_call(
        client,
        lambda: session.refresh_token(
            client.token_url,
            refresh_token=refresh_token,
            client_id=client.client_id,
            client_secret=client.client_secret,
            timeout=TIMEOUT,
        ),
    )
    return token


def token_revoke(client: OAuthClient, token: str, hint: str) -> None:
    """Tells the provider to forget a token. An already invalid token is not an error."""
    try:
        requests.post(
            client.revoke_url, data={"token": token, "token_type_hint": hint}, timeout=TIMEOUT
        ).raise_for_status()
    except requests.RequestException as exc:
        status = getattr(exc.response, "status_code", None)
        if status != 400:  # 400: invalid or already revoked
            raise ProviderError(f"{client.name} did not confirm revoking Paraph's access; revoke it there.") from None


# RFC 6749 §5.2: the token endpoint's refusals. Only these, in a 400 or 401 answer, mean the code or
# refresh token is no good; anything else (a 5xx, a 429, a proxy's HTML page) says nothing about
# the grant and must not cost the connection.
REFUSALS = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }
)


def _answer_checker(client: OAuthClient):
    """A requests-oauthlib compliance hook that looks at the token endpoint's status before
    oauthlib reads the body (oauthlib does not): only a refused grant reaches oauthlib's error."""

    def check(response: requests.Response) -> requests.Response:
        status = response.status_code
        if status == 429:
            wait = rate_limit_wait(response)
            raise ProviderError(
                f"{client.name} is limiting how fast Paraph may ask for tokens; try again in {max(1, round(wait / 60))}"
                " minute(s).",
                retry_after=wait,
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if status == 200 and isinstance(body, dict) and isinstance(body.get("access_token"), str):
            return response
        if status in (400, 401) and isinstance(body, dict) and body.get("error") in REFUSALS:
            return response  # oauthlib raises the matching OAuth2Error
        log.info("%s token endpoint answered %s without a usable token", client.name, status)
        raise ProviderError(f"{client.name} did not issue a token just now ({status}); try again shortly.")

    return check


def _token_call(client: OAuthClient, call) -> dict:
    try:
        return dict(call())
    except OAuth2Error as exc:
        # invalid_grant / invalid_client: the code or refresh token is no good; asking again won't help.
        log.info("%s token endpoint refused: %s", client.name, exc.error)
        raise AuthExpired(
            f"{client.name} refused the authorization ({exc.error}); connect the account again."
        ) from None
    except requests.RequestException:
        raise ProviderError(f"Paraph could not reach {client.name} to renew its access; it will try again.") from None
    except (ValueError, Warning):
        raise ProviderError(f"{client.name} answered the token request with something Paraph could not read.") from None


def credentials_from_token(token: dict) -> tuple[dict, datetime | None]:
    """What is stored (encrypted) from a token response, and when the access token expires."""
    expires_at = None
    if token.get("expires_at"):
        expires_at = datetime.fromtimestamp(float(token["expires_at"]), tz=UTC)
    elif token.get("expires_in"):
        expires_at = timezone.now() + timedelta(seconds=float(token["expires_in"]))
    else:
        expires_at = jwt_expiry(token.get("access_token", ""))
    kept = {key: token[key] for key in ("access_token", "refresh_token", "token_type", "scope") if key in token}
    return kept, expires_at


def jwt_expiry(token: str) -> datetime | None:
    """The `exp` of an access token that is a JWT, for answers that give no expires_in (the token
    is the provider's to verify; Paraph only reads when it ends). None when it is not a JWT."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return None
    return datetime.fromtimestamp(exp, tz=UTC)


class ConnectionTokens:
    """A connection's bearer token for the HTTP layer: refreshed ahead of expiry and after a 401;
    a refused refresh marks the connection *needs reconnect*."""

    def __init__(self, connection: ProviderConnection, client: OAuthClient):
        self.connection = connection
        self.client = client

    def access_token(self) -> str:
        connection = self.connection
        if connection.status != ConnectionStatus.CONNECTED:
            raise AuthExpired(f"The {connection.label} connection needs reconnecting before Paraph can use it.")
        token = connection.credentials.get("access_token", "")
        if connection.expires_at and connection.expires_at - REFRESH_MARGIN <= timezone.now():
            return self.refresh(token)
        return token

    def refresh(self, rejected: str) -> str:
        outcome = self._refresh_locked(rejected)
        if isinstance(outcome, AuthExpired):
            connection_needs_reconnect(self.connection, outcome.message)
            raise outcome
        return outcome

    def revoked(self, message: str) -> None:
        connection_needs_reconnect(self.connection, message)

    def _refresh_locked(self, rejected: str) -> str | AuthExpired:
        # The row lock serializes refreshes across workers: many providers rotate refresh tokens, so
        # two workers refreshing at once would leave one holding a dead token. This is the one place a
        # transaction spans a provider call, and it is a single short token request.
        with transaction.atomic():
            fresh = ProviderConnection.objects.select_for_update().get(pk=self.connection.pk)
            self._adopt(fresh)
            if fresh.status != ConnectionStatus.CONNECTED:
                return AuthExpired(f"The {fresh.label} connection needs reconnecting.")
            current = fresh.credentials
            still_good = fresh.expires_at is None or fresh.expires_at - REFRESH_MARGIN > timezone.now()
            if current.get("access_token") != rejected and still_good:
                return current["access_token"]  # another worker refreshed it meanwhile
            if not current.get("refresh_token"):
                return AuthExpired(f"{self.client.name} gave Paraph no way to renew its access; reconnect the account.")
            try:
                token = token_refresh(self.client, current["refresh_token"])
            except AuthExpired as exc:
                return exc
            credentials, expires_at = credentials_from_token(token)
            credentials.setdefault("refresh_token", current["refresh_token"])
            fresh.credentials = credentials
            fresh.expires_at = expires_at
            fresh.last_error = ""
            fresh.save(update_fields=["credentials_encrypted", "expires_at", "last_error", "updated_at"])
            self._adopt(fresh)
            log.info("connection %s: access token renewed", fresh.pk)
            return credentials["access_token"]

    def _adopt(self, fresh: ProviderConnection) -> None:
        for name in ("credentials_encrypted", "expires_at", "status", "last_error"):
            setattr(self.connection, name, getattr(fresh, name))


def connection_needs_reconnect(connection: ProviderConnection, message: str) -> None:
    """Marks the connection so admins see the reconnect banner; envelopes are kept."""
    ProviderConnection.objects.filter(pk=connection.pk).update(
        status=ConnectionStatus.NEEDS_RECONNECT, last_error=message, updated_at=timezone.now()
    )
    connection.status = ConnectionStatus.NEEDS_RECONNECT
    connection.last_error = message
    log.warning("connection %s needs reconnecting", connection.pk)
