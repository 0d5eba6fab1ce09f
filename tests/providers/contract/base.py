"""What a driver does for the contract suite: the interface every provider's driver implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from django.urls import reverse

from envelopes.models import Envelope, EnvelopeStatus
from envelopes.outgoing.sending import send_request_for
from providers import http
from providers.base import Provider, RemoteEnvelope, RemoteEvent, SendRequest
from providers.models import ProviderConnection
from providers.registry import provider_class

# Needs a case may have besides the provider's declared capabilities (providers.base.Capability).
ACCOUNT = "account"  # the provider is used through a connected account (Provider.connect is set)
HTTP = "http"  # the provider is reached over HTTP: transport faults, bearer tokens, redirects

# Faults a driver can make the provider's next answers have (see ProviderDriver.inject).
FAULTS = ("401", "401_once", "404", "429", "5xx", "timeout", "missing_field", "not_json")


def webhook_url_for(connection: ProviderConnection) -> str:
    """Where the provider posts webhook calls for `connection` (path only, for the test client)."""
    return reverse("provider_webhook", args=[connection.provider, connection.pk])


@dataclass
class Sent:
    """An envelope handed to the provider: our records, what we asked and what it answered."""

    envelope: Envelope
    request: SendRequest
    remote: RemoteEnvelope

    @property
    def remote_id(self) -> str:
        return self.remote.remote_id

    @property
    def refs(self) -> list[str]:
        return [participant.ref for participant in self.request.participants]


class ProviderDriver:
    """Drives one provider and its fake. Subclasses set `provider_id` and implement the remote side."""

    provider_id: ClassVar[str]
    transport: ClassVar[str | None] = None  # "http" when the adapter calls the provider over HTTP
    # Contract cases this provider's adapter is known to fail today: case id ("test_name" or
    # "test_name[param]") → why. Each becomes a strict xfail for this provider only, so the entry
    # must go once the adapter is fixed.
    known_breaks: ClassVar[dict[str, str]] = {}

    def __init__(self, request):
        self.request = request  # pytest's, for the fixtures the driver needs
        self.connection: ProviderConnection | None = None
        self.org = None
        self.user = None

    def fixture(self, name: str):
        return self.request.getfixturevalue(name)

    # -- set-up ---------------------------------------------------------------------------------

    def setup(self) -> None:
        """Prepares the fake and, where the provider needs one, a connected account."""
        member = self.fixture("make_member")()
        self.org, self.user = member.org, member.user

    @property
    def provider_class(self) -> type[Provider]:
        return provider_class(self.provider_id)

    @property
    def name(self) -> str:
        return self.provider_class.name

    def supports(self, need: str) -> bool:
        if need == ACCOUNT:
            return self.provider_class.connect is not None
        if need == HTTP:
            return self.transport == HTTP
        return self.provider_class.supports(need)

    def connect(self) -> Provider:
        """The adapter, acting for the driver's connection (None when the provider needs none)."""
        return self.provider_class(self.connection)

    # -- what we send ---------------------------------------------------------------------------

    def make_envelope(self, status: str = EnvelopeStatus.DRAFT) -> Envelope:
        """An envelope of ours for this provider: one document, two signers signing in parallel."""
        envelope = self.fixture("make_envelope")(
            org=self.org, status=status, provider=self.provider_id, connection=self.connection, created_by=self.user
        )
        self.fixture("make_document")(envelope, pages=1)
        for _ in range(2):
            self.fixture("make_participant")(envelope)
        return envelope

    def make_request(self, envelope: Envelope | None = None) -> SendRequest:
        return send_request_for(envelope or self.make_envelope())

    # -- the remote side (each driver's own) ----------------------------------------------------

    def open(self, sent: Sent, ref: str) -> None:
        """Participant `ref` opens the envelope at the provider."""
        raise NotImplementedError

    def sign(self, sent: Sent, ref: str) -> None:
        """Participant `ref` signs at the provider (the last signature completes the envelope)."""
        raise NotImplementedError

    def remote_count(self) -> int:
        """How many envelopes the provider holds (deleted ones not counted)."""
        raise NotImplementedError

    def holds(self, remote_id: str) -> bool:
        """Whether the provider still holds the envelope's documents and people's data."""
        raise NotImplementedError

    def knows_contact(self, remote_id: str, email: str) -> bool:
        """Whether the provider now invites someone on the envelope at `email`."""
        raise NotImplementedError

    def inject(self, fault: str, remote_id: str) -> None:
        """Makes the provider's next answers about `remote_id` have `fault` (one of FAULTS)."""
        raise NotImplementedError

    def reported_events(self, remote_id: str) -> list[RemoteEvent]:
        """The events the provider reported by itself (webhooks, signals) about `remote_id`, in order."""
        return []

    # Only for providers with webhooks:

    def webhook(self, kind: str, sent: Sent) -> tuple[bytes, dict[str, str]]:
        """A webhook call about `sent` as (body, headers): "genuine", "forged" (wrong signature) or
        "stale" (right signature, too old)."""
        raise NotImplementedError

    # Only for providers reached over HTTP:

    def refreshes(self) -> int:
        """How many times the adapter has renewed its access token."""
        raise NotImplementedError

    def requests_outside_api(self) -> list[dict[str, str]]:
        """Headers of the requests the adapter made outside the provider's API (redirect targets)."""
        raise NotImplementedError


def http_faults(*, missing_field: dict, server_error: dict | None = None) -> dict[str, dict]:
    """The faults an HTTP fake on the shared base injects for the contract's error cases, as
    `fail_next` arguments: the same statuses for every provider, with the provider's own answer
    lacking its documented fields and, where it has one, its own error body."""
    return {
        "401": {"status": 401, "times": 5},
        "401_once": {"status": 401},
        "404": {"status": 404},
        "429": {"status": 429, "headers": {"Retry-After": "120"}},
        "5xx": {"status": 503, "times": http.ATTEMPTS, **(server_error or {})},
        "timeout": {"status": None, "delay": http.TIMEOUT[1] * 2, "times": http.ATTEMPTS},
        "missing_field": {"status": 200, "body": missing_field},
        "not_json": {"status": 200, "body": "<html><body>Maintenance</body></html>"},
    }
