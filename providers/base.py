"""The provider interface: what Paraph asks of every e-signature service, and the plain
data it passes. Adapters take and return these dataclasses and never touch envelope models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from providers.oauth import OAuthClient


class Capability:
    """Names a provider declares in `capabilities`. Authentication methods are `auth:<method>`."""

    SEQUENTIAL_ORDER = "sequential_order"
    APPROVERS = "approvers"
    VIEWERS = "viewers"
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    ATTACHMENTS = "attachments"
    MULTIPLE_DOCUMENTS = "multiple_documents"
    REMINDERS_API = "reminders_api"
    VOID = "void"
    WEBHOOKS = "webhooks"
    SIGNED_DOWNLOAD = "signed_download"
    REMOTE_DELETE = "remote_delete"
    TEMPLATES = "templates"
    FIELD_PLACEMENT = "field_placement"
    UPDATE_PARTICIPANT = "update_participant"
    EXPIRY = "expiry"  # closes envelopes at their expiry by itself
    FIELD_VALUES = "field_values"  # returns what signers filled in

    @staticmethod
    def auth(method: str) -> str:
        return f"auth:{method}"


class ProviderError(Exception):
    """Every adapter failure. `message` is a sentence a user can act on."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


class AuthExpired(ProviderError):
    """The connection's credentials no longer work; it needs reconnecting."""

    def __init__(self, message: str = "The provider no longer accepts this connection. Reconnect it."):
        super().__init__(message, permanent=True)


class UnreadableAnswer(ProviderError):
    """A provider answered with something the adapter cannot read: a missing field, a wrong type,
    a value outside what its documentation lists. Transient (the provider may be mid-deploy), and
    shown as "Paraph could not read <provider>'s answer" wherever it surfaces."""

    def __init__(self, provider: str, detail: str):
        super().__init__(f"Paraph could not read {provider}'s answer: {detail}.", retry_after=None)
        self.provider = provider
        self.detail = detail


class WebhookRefused(ProviderError):
    """A webhook call that is forged, stale or unreadable; answered 401 and not stored."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class Account:
    """The provider account a connection acts for."""

    id: str
    name: str
    email: str = ""


@dataclass(frozen=True)
class FieldSpec:
    """A signature box in PDF points, origin bottom-left."""

    document_ref: str
    page: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class ParticipantSpec:
    ref: str  # our participant id, echoed back in snapshots and events
    name: str
    email: str
    phone: str
    role: str  # signer | approver | viewer
    order: int
    delivery: str  # email | sms | email_sms | whatsapp
    auth_view: str
    auth_sign: str
    personal_number: str = ""
    fields: tuple[FieldSpec, ...] = ()  # empty: sign on an appended signature page
    remote_id: str = ""  # the provider's id of the participant, once sent


@dataclass(frozen=True)
class DocumentSpec:
    ref: str
    name: str
    kind: str  # sign | attachment
    sha256: str
    page_count: int
    path: str  # readable file path (storage path resolved by the caller)


@dataclass(frozen=True)
class SendRequest:
    envelope_ref: str
    title: str
    message: str
    language: str
    expires_at: datetime | None
    documents: tuple[DocumentSpec, ...]
    participants: tuple[ParticipantSpec, ...]
    sender_name: str = ""
    sender_email: str = ""  # told of declines and completion where the provider sends such notices
    callback_url: str = ""  # where the provider reports this envelope's changes, for per-envelope callbacks
    reminder_days: int | None = None  # days between reminders, for providers that remind by themselves; None: off


@dataclass
class Checkpoint:
    """Progress of a multi-step send. `persist` (given by the caller) saves it after each step,
    so that a retry after a crash resumes instead of creating a second remote envelope."""

    data: dict = field(default_factory=dict)
    persist: Callable[[dict], None] | None = None

    def done(self, step: str) -> bool:
        return step in self.data

    def get(self, step: str, default=None):
        return self.data.get(step, default)

    def record(self, step: str, value) -> None:
        self.data[step] = value
        if self.persist is not None:
            self.persist(dict(self.data))


@dataclass(frozen=True)
class RemoteEnvelope:
    remote_id: str
    participant_ids: dict[str, str] = field(default_factory=dict)  # our ref → remote id


@dataclass(frozen=True)
class RemoteParticipant:
    ref: str  # our participant id when the provider knows it; else empty and remote_id is used
    status: str  # waiting | invited | opened | signed | approved | declined
    occurred_at: datetime | None = None
    decline_reason: str = ""
    remote_id: str = ""  # the provider's id of the participant


@dataclass(frozen=True)
class RemoteSnapshot:
    remote_id: str
    status: str  # sent | completed | declined | voided | expired
    participants: tuple[RemoteParticipant, ...] = ()


@dataclass(frozen=True)
class RemindResult:
    reminded: tuple[str, ...] = ()  # participant refs
    not_reminded: dict[str, str] = field(default_factory=dict)  # ref → why, in a sentence
    next_possible_at: datetime | None = None


@dataclass(frozen=True)
class SignedFile:
    name: str
    content: bytes


@dataclass(frozen=True)
class RemoteEvent:
    event_id: str
    remote_id: str
    kind: str
    occurred_at: datetime
    participant_ref: str | None = None
    data: dict = field(default_factory=dict)


class ConnectKind:
    """How an organization connects its account (`Provider.connect`); each kind is a strategy in
    `providers/connect/` with its own screen, stored secrets and `Authorization` header."""

    OAUTH2 = "oauth2"  # authorization code, PKCE S256 optional; refresh token where given
    OAUTH1 = "oauth1"  # PLAINTEXT signature: three-legged, or personal access credentials pasted
    API_CREDENTIALS = "api_credentials"  # a static bearer token, or key + secret exchanged for a JWT


class WebhookScheme:
    """How a provider's webhook deliveries prove where they come from (`Provider.webhook_scheme`)."""

    HMAC = "hmac"  # a signature over timestamp and body with the connection's secret
    JWS = "jws"  # a detached JWS whose key the provider publishes by `kid`
    URL_SECRET = "url_secret"  # a secret token in the URL path, given to the provider per connection
    NONE = "none"  # nothing: the payload is only a hint and the envelope is re-read
    INTERNAL = "internal"  # reported in-process (built-in signing); never over HTTP


class WebhookUrl:
    """The URL shape a provider is given (`Provider.webhook_url_shape`)."""

    PER_CONNECTION = "per_connection"  # /webhooks/<provider>/<connection>/[<secret>/]
    PER_PROVIDER = "per_provider"  # /webhooks/<provider>/, configured once in the provider's dashboard


@dataclass(frozen=True)
class CredentialField:
    """One field of a "paste your credentials" form on the connection screen."""

    name: str
    label: str
    secret: bool = True
    required: bool = True
    help: str = ""


class Provider:
    """Base class: declarative attributes plus the methods each adapter implements."""

    id: ClassVar[str]
    name: ClassVar[str]
    capabilities: ClassVar[frozenset[str]] = frozenset()
    max_documents: ClassVar[int | None] = None
    # False for services that connect like a provider but send nothing for signature (screening):
    # they are never a "Send with" choice.
    signs: ClassVar[bool] = True
    # Seconds between status polls of an envelope out for signature; None: the provider reports
    # every change itself and is never polled.
    poll_interval: ClassVar[int | None] = 15 * 60
    # How an account is connected (a ConnectKind), or None when the provider needs no account.
    connect: ClassVar[str | None] = None
    # For ConnectKind.OAUTH1 and API_CREDENTIALS: the fields an admin pastes (several alternative
    # sets are allowed: the first set whose required fields are all given is used).
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    summary: ClassVar[str] = ""  # one line for the connection screen
    urls: ClassVar[str | None] = None  # dotted path of the provider's own URL module, if it has pages
    # Settings an operator sets to enable the provider, and what to register at the provider
    # (shown to admins while it is not enabled).
    settings_needed: ClassVar[tuple[str, ...]] = ()
    # Webhooks: how deliveries are verified, the URL shape, which request headers are kept with a
    # stored delivery (and which of those are kept only as "[redacted]").
    webhook_scheme: ClassVar[str | None] = None
    webhook_url_shape: ClassVar[str] = WebhookUrl.PER_CONNECTION
    webhook_kept_headers: ClassVar[tuple[str, ...]] = ("Content-Type", "User-Agent")
    webhook_redacted_headers: ClassVar[tuple[str, ...]] = ()
    # True when Paraph subscribes its URL through the provider's API (`webhook_register`); False
    # when the URL travels with each envelope (SendRequest.callback_url) or is set in a dashboard.
    webhook_registered: ClassVar[bool] = False
    # True when the provider's events are facts to apply as they are (built-in signing); False
    # when they are hints and the envelope is re-read from the provider before anything changes.
    events_are_facts: ClassVar[bool] = False
    # What the participants hear from the provider when an envelope is voided; the void form shows
    # it, so the sender knows whether to tell them the reason themselves.
    void_notice: ClassVar[str] = (
        "The provider closes the participants' signing links. It is not given your reason and Paraph "
        "does not e-mail the participants; tell them yourself if they should know why."
    )

    def __init__(self, connection=None):
        self.connection = connection

    @classmethod
    def configured(cls) -> bool:
        """False hides the provider (its settings are missing on this installation)."""
        return True

    @classmethod
    def settings_problems(cls) -> list[str]:
        """Configuration mistakes to report at start-up: by default, some of `settings_needed` set
        and others missing (a half-enabled provider)."""
        from django.conf import settings

        given = [name for name in cls.settings_needed if getattr(settings, name, "")]
        if not given or len(given) == len(cls.settings_needed):
            return []
        missing = [name for name in cls.settings_needed if name not in given]
        return [f"{cls.name} is half configured: {', '.join(given)} set but {', '.join(missing)} missing."]

    @classmethod
    def secrets_reencrypt(cls) -> int:
        """Re-encrypts the provider's own stored secrets with the newest key (`reencrypt_secrets`);
        returns how many rows changed. Connections are handled by the command itself."""
        return 0

    @classmethod
    def oauth_client(cls) -> OAuthClient:
        raise NotImplementedError

    @classmethod
    def request_problems(cls, request: SendRequest) -> list[str]:
        """What this provider would refuse in the request, one sentence each, before any call."""
        return []

    def account(self) -> Account:
        raise NotImplementedError

    def webhook_register(self, url: str) -> tuple[str, str]:
        """Subscribes `url` to envelope events; returns (webhook id, signing secret)."""
        raise NotImplementedError

    def webhook_delete(self, webhook_id: str) -> None:
        raise NotImplementedError

    def disconnect(self) -> None:
        """Gives up the connection's access at the provider (revokes its tokens)."""

    def webhook_verify(self, body: bytes, headers: dict[str, str]) -> None:
        """Raises WebhookRefused unless the call really comes from the provider (HMAC and JWS
        schemes; URL secrets are checked by the intake view, NONE needs nothing)."""
        if self.webhook_scheme in (WebhookScheme.HMAC, WebhookScheme.JWS):
            raise NotImplementedError

    def webhook_remote_ids(self, body: bytes) -> list[str]:
        """The provider's envelope ids a verified delivery is about (PER_PROVIDER URLs: Paraph finds
        the connection from them)."""
        return [event.remote_id for event in self.webhook_events(body)]

    def api_credentials_exchange(self, credentials: dict) -> tuple[str, datetime | None]:
        """ConnectKind.API_CREDENTIALS with key + secret: a fresh access token (a JWT) and when it
        expires. Raises AuthExpired when the provider refuses the key."""
        raise NotImplementedError

    def api_credentials_refresh(self, credentials: dict) -> tuple[str, datetime | None]:
        """Renews the exchanged token (a provider's refresh call); by default exchanges again."""
        return self.api_credentials_exchange(credentials)

    @classmethod
    def oauth1_client(cls):
        """ConnectKind.OAUTH1: the provider's endpoints and Paraph's client credentials
        (`providers.connect.oauth1.OAuth1Client`); None when only pasted credentials work here."""
        return None

    def webhook_events(self, body: bytes) -> list[RemoteEvent]:
        """The events in a verified webhook body."""
        raise NotImplementedError

    def field_values(self, remote_id: str) -> dict[str, list[str]]:
        raise NotImplementedError

    def send(self, request: SendRequest, checkpoint: Checkpoint) -> RemoteEnvelope:
        raise NotImplementedError

    def send_abandoned(self, checkpoint: Checkpoint) -> None:
        """A send given up for good after repeated transient failures: removes what its checkpoint
        says it left at the provider (a half-built draft). Nothing by default."""

    def fetch(self, remote_id: str) -> RemoteSnapshot:
        raise NotImplementedError

    def remind(self, remote_id: str, participant_refs: list[str], remote_ids: dict[str, str]) -> RemindResult:
        """Reminds the participants (`remote_ids`: our ref → the provider's participant id)."""
        raise NotImplementedError

    def void(self, remote_id: str, reason: str) -> None:
        raise NotImplementedError

    def update_participant(self, remote_id: str, participant: ParticipantSpec) -> str:
        raise NotImplementedError

    def download_signed(self, remote_id: str) -> list[SignedFile]:
        raise NotImplementedError

    def delete_remote(self, remote_id: str) -> None:
        raise NotImplementedError

    def verify_webhook(self, body: bytes, headers: dict[str, str]) -> list[RemoteEvent]:
        self.webhook_verify(body, headers)
        return self.webhook_events(body)

    @classmethod
    def supports(cls, capability: str) -> bool:
        return capability in cls.capabilities
