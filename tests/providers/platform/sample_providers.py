"""Small providers that exist only for these tests: each declares one connect kind or webhook
scheme and speaks real HTTP, through the shared HTTP layer and `connection_auth`, to the loopback
fakes (`fake_api`, `fake_oauth1`). Their addresses are set by the fixtures in conftest.py.

Webhook bodies (every sample provider): `{"events": [{"id", "type", "envelope", "at",
"participant"}]}`, where `envelope` and `participant` are the service's ids.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import ClassVar
from urllib.parse import quote

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from providers.answers import items, optional, required
from providers.base import (
    Account,
    AuthExpired,
    ConnectKind,
    CredentialField,
    Provider,
    RemoteEvent,
    RemoteParticipant,
    RemoteSnapshot,
    WebhookRefused,
    WebhookScheme,
    WebhookUrl,
)
from providers.connect.auth import connection_auth
from providers.connect.oauth1 import OAuth1Client
from providers.http import ProviderHttp
from providers.webhook_signatures import JwsVerifier, hmac_verify

API_FIELDS = (
    CredentialField("api_token", "API token", required=False),
    CredentialField("api_key", "API key", secret=False, required=False),
    CredentialField("api_secret", "API secret", required=False),
)


class PlatformSign(Provider):
    """API credentials: a static token, or key + secret exchanged at `/auth/authorize` for a JWT."""

    id = "platformsign"
    name = "Platform Sign"
    connect = ConnectKind.API_CREDENTIALS
    credential_fields = API_FIELDS
    base_url: ClassVar[str] = ""  # the fake's address

    def _http(self) -> ProviderHttp:
        auth = connection_auth(self, self.connection) if self.connection is not None else None
        # One attempt and no sleeping: the tests count calls.
        return ProviderHttp(name=self.name, base_url=self.base_url, auth=auth, attempts=1, sleep=lambda _: None)

    def account(self) -> Account:
        answer = self._http().json("GET", "/api/account")
        return Account(
            id=required(answer, "id", provider=self.name),
            name=required(answer, "name", provider=self.name),
            email=optional(answer, "email", "", provider=self.name),
        )

    def fetch(self, remote_id: str) -> RemoteSnapshot:
        answer = self._http().json("GET", f"/api/envelopes/{quote(remote_id, safe='')}")
        people = items(
            optional(answer, "participants", [], provider=self.name, kind=list),
            provider=self.name,
            where="participants",
        )
        return RemoteSnapshot(
            remote_id=remote_id,
            status=required(answer, "status", provider=self.name),
            participants=tuple(
                RemoteParticipant(
                    ref="",
                    remote_id=required(p, "id", provider=self.name, where="participants"),
                    status=required(p, "status", provider=self.name, where="participants"),
                )
                for p in people
            ),
        )

    def api_credentials_exchange(self, credentials: dict) -> tuple[str, object]:
        plain = ProviderHttp(name=self.name, base_url=self.base_url, attempts=1, sleep=lambda _: None)
        response = plain.request(
            "POST",
            "/auth/authorize",
            json={"key": credentials["api_key"], "secret": credentials["api_secret"]},
            expect=(401,),
        )
        if response.status_code == 401:
            raise AuthExpired(f"{self.name} refused the API key; paste a new key and secret.")
        answer = response.json()
        lifetime = required(answer, "expires_in", provider=self.name, kind=int)
        return required(answer, "access_token", provider=self.name), timezone.now() + timedelta(seconds=lifetime)

    def webhook_events(self, body: bytes) -> list[RemoteEvent]:
        try:
            return [
                RemoteEvent(
                    event_id=str(event["id"]),
                    remote_id=str(event["envelope"]),
                    kind=event["type"],
                    occurred_at=parse_datetime(event["at"]),
                    data={"participant_remote_id": event.get("participant", "")},
                )
                for event in json.loads(body)["events"]
            ]
        except (ValueError, KeyError, TypeError):
            raise WebhookRefused(f"The {self.name} webhook body cannot be read.") from None


class HmacSign(PlatformSign):
    """Webhooks signed with HMAC-SHA256 over "<timestamp>.<body>" with the connection's secret."""

    id = "hmacsign"
    name = "Hmac Sign"
    webhook_scheme = WebhookScheme.HMAC
    webhook_kept_headers = ("Content-Type", "User-Agent", "X-Platform-Timestamp")
    webhook_redacted_headers = ("X-Platform-Signature",)

    def webhook_verify(self, body: bytes, headers: dict[str, str]) -> None:
        hmac_verify(
            secret=self.connection.webhook_secret,
            body=body,
            signature=headers.get("X-Platform-Signature", ""),
            timestamp=headers.get("X-Platform-Timestamp", ""),
        )


class JwsSign(PlatformSign):
    """Webhooks signed with a detached JWS whose public key the service publishes at /keys/<kid>."""

    id = "jwssign"
    name = "Jws Sign"
    webhook_scheme = WebhookScheme.JWS
    webhook_redacted_headers = ("X-Platform-JWS",)

    def webhook_verify(self, body: bytes, headers: dict[str, str]) -> None:
        verifier = JwsVerifier(provider=self.id, fetch_key=self._published_key)
        verifier.verify(body, headers.get("X-Platform-JWS", ""))

    def _published_key(self, kid: str) -> dict | None:
        plain = ProviderHttp(name=self.name, base_url=self.base_url, attempts=1, sleep=lambda _: None)
        response = plain.request("GET", f"/keys/{quote(kid, safe='')}", expect=(404,))
        return None if response.status_code == 404 else response.json()


class SecretUrlSign(PlatformSign):
    id = "secreturlsign"
    name = "Secret Url Sign"
    webhook_scheme = WebhookScheme.URL_SECRET


class HintSign(PlatformSign):
    """Unsigned webhooks: hints only."""

    id = "hintsign"
    name = "Hint Sign"
    webhook_scheme = WebhookScheme.NONE


class SharedSign(PlatformSign):
    """Unsigned webhooks to one URL per installation, set in the service's dashboard."""

    id = "sharedsign"
    name = "Shared Sign"
    webhook_scheme = WebhookScheme.NONE
    webhook_url_shape = WebhookUrl.PER_PROVIDER


class BrittleSign(HintSign):
    """An adapter that reads the answer carelessly: a missing field is a KeyError."""

    id = "brittlesign"
    name = "Brittle Sign"

    def fetch(self, remote_id: str) -> RemoteSnapshot:
        answer = self._http().json("GET", f"/api/envelopes/{quote(remote_id, safe='')}")
        return RemoteSnapshot(
            remote_id=remote_id,
            status=answer["status"],
            participants=tuple(
                RemoteParticipant(ref="", remote_id=p["id"], status=p["status"]) for p in answer["participants"]
            ),
        )


class Oauth1Sign(PlatformSign):
    """OAuth 1 PLAINTEXT, three-legged through the service's consent page."""

    id = "oauth1sign"
    name = "Oauth One Sign"
    connect = ConnectKind.OAUTH1
    credential_fields = ()
    client_key: ClassVar[str] = ""
    client_secret: ClassVar[str] = ""

    @classmethod
    def oauth1_client(cls) -> OAuth1Client | None:
        return OAuth1Client(
            name=cls.name,
            temporary_credentials_url=f"{cls.base_url}/oauth/initiate",
            authorize_url=f"{cls.base_url}/oauth/authorize",
            token_credentials_url=f"{cls.base_url}/oauth/token",
            client_key=cls.client_key,
            client_secret=cls.client_secret,
        )


class PersonalOauth1Sign(Oauth1Sign):
    """OAuth 1 PLAINTEXT with personal access credentials an admin pastes."""

    id = "oauth1paste"
    name = "Personal Oauth Sign"
    credential_fields = (
        CredentialField("client_key", "Client key", secret=False),
        CredentialField("client_secret", "Client secret"),
        CredentialField("token_key", "Token", secret=False),
        CredentialField("token_secret", "Token secret"),
    )

    @classmethod
    def oauth1_client(cls) -> OAuth1Client | None:
        return None


SAMPLE_PROVIDERS = (
    PlatformSign,
    HmacSign,
    JwsSign,
    SecretUrlSign,
    HintSign,
    SharedSign,
    BrittleSign,
    Oauth1Sign,
    PersonalOauth1Sign,
)
