"""OAuth 1 with the PLAINTEXT signature (RFC 5849 §3.4.4): three-legged — temporary credentials,
the user's authorization, the verifier, token credentials — or personal access credentials
pasted by an admin. Tokens do not expire; a refused one means the connection needs reconnecting.

Stored credentials: `client_key`, `client_secret`, `token_key`, `token_secret`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from oauthlib.oauth1 import SIGNATURE_PLAINTEXT, SIGNATURE_TYPE_AUTH_HEADER, Client
from requests_oauthlib import OAuth1Session

from providers.base import AuthExpired, ProviderError
from providers.http import TIMEOUT, rate_limit_wait
from providers.models import ConnectionStatus, ProviderConnection

log = logging.getLogger(__name__)

CREDENTIAL_KEYS = ("client_key", "client_secret", "token_key", "token_secret")


@dataclass(frozen=True)
class OAuth1Client:
    """A provider's OAuth 1 endpoints and Paraph's client credentials with it."""

    name: str
    temporary_credentials_url: str
    authorize_url: str
    token_credentials_url: str
    client_key: str
    client_secret: str
    # Extra query parameters for the temporary-credentials request (Scrive: privileges).
    temporary_params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TemporaryCredentials:
    url: str  # where the browser goes to authorize
    token: str
    secret: str


def plaintext_header(credentials: dict) -> str:
    """The `Authorization` header value for stored credentials (oauthlib writes it)."""
    client = Client(
        credentials["client_key"],
        client_secret=credentials["client_secret"],
        resource_owner_key=credentials.get("token_key") or None,
        resource_owner_secret=credentials.get("token_secret") or None,
        signature_method=SIGNATURE_PLAINTEXT,
        signature_type=SIGNATURE_TYPE_AUTH_HEADER,
    )
    _, headers, _ = client.sign("https://provider.invalid/")
    return headers["Authorization"]


class OAuth1Plaintext:
    """An Authorizer for the HTTP layer. There is nothing to refresh: a 401 marks the connection
    *needs reconnect* at once."""

    def __init__(self, connection: ProviderConnection):
        self.connection = connection

    def headers(self, method: str, url: str) -> tuple[dict[str, str], str]:
        if self.connection.status != ConnectionStatus.CONNECTED:
            raise AuthExpired(f"The {self.connection.label} connection needs reconnecting before Paraph can use it.")
        credentials = self.connection.credentials
        if not all(credentials.get(key) for key in CREDENTIAL_KEYS):
            raise AuthExpired(f"The {self.connection.label} connection has no credentials; connect it again.")
        return {"Authorization": plaintext_header(credentials)}, credentials["token_key"]

    def refresh(self, rejected: str) -> None:
        message = f"The {self.connection.label} credentials were refused; reconnect the account."
        self.revoked(message)
        raise AuthExpired(message)

    def revoked(self, message: str) -> None:
        from providers.oauth import connection_needs_reconnect

        connection_needs_reconnect(self.connection, message)


def temporary_credentials(client: OAuth1Client, *, callback_uri: str) -> TemporaryCredentials:
    """Leg one: temporary credentials, and the authorization URL to send the browser to."""
    session = _session(client, callback_uri=callback_uri)
    url = client.temporary_credentials_url
    if client.temporary_params:
        url = requests.Request("GET", url, params=list(client.temporary_params)).prepare().url
    answer = _token_call(client, lambda: session.fetch_request_token(url, timeout=TIMEOUT))
    token, secret = answer.get("oauth_token", ""), answer.get("oauth_token_secret", "")
    if not token or not secret:
        raise ProviderError(f"{client.name} answered the connection request without credentials; try again.")
    return TemporaryCredentials(url=session.authorization_url(client.authorize_url), token=token, secret=secret)


def token_credentials(client: OAuth1Client, *, token: str, secret: str, verifier: str) -> dict:
    """Leg three: the verifier traded for token credentials; returns what is stored."""
    session = _session(client, resource_owner_key=token, resource_owner_secret=secret, verifier=verifier)
    answer = _token_call(client, lambda: session.fetch_access_token(client.token_credentials_url, timeout=TIMEOUT))
    if not answer.get("oauth_token") or not answer.get("oauth_token_secret"):
        raise ProviderError(f"{client.name} finished the authorization without credentials; connect again.")
    return {
        "client_key": client.client_key,
        "client_secret": client.client_secret,
        "token_key": answer["oauth_token"],
        "token_secret": answer["oauth_token_secret"],
    }


def pasted_credentials(fields: dict) -> dict:
    """Personal access credentials from the connection form (all four are needed)."""
    return {key: (fields.get(key) or "").strip() for key in CREDENTIAL_KEYS}


def _session(client: OAuth1Client, **extra) -> OAuth1Session:
    session = OAuth1Session(
        client.client_key,
        client_secret=client.client_secret,
        signature_method=SIGNATURE_PLAINTEXT,
        signature_type=SIGNATURE_TYPE_AUTH_HEADER,
        **extra,
    )
    session.trust_env = False
    return session


def _token_call(client: OAuth1Client, call) -> dict:
    """Runs a credentials request: a refusal (4xx) is permanent, an outage or 429 transient."""
    from requests_oauthlib.oauth1_session import TokenRequestDenied

    try:
        return dict(call())
    except TokenRequestDenied as exc:
        status = exc.status_code
        log.info("%s refused an OAuth 1 credentials request (%s)", client.name, status)
        if status == 429:
            raise ProviderError(
                f"{client.name} is limiting requests; try again shortly.", retry_after=rate_limit_wait(exc.response)
            ) from None
        if status >= 500:
            raise ProviderError(f"{client.name} had a problem ({status}); try again shortly.") from None
        raise AuthExpired(f"{client.name} refused the authorization ({status}); connect the account again.") from None
    except requests.RequestException:
        raise ProviderError(f"Paraph could not reach {client.name}; try again shortly.") from None
    except ValueError:
        raise ProviderError(f"{client.name} answered with something Paraph could not read; try again.") from None
