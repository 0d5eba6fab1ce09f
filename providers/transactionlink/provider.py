"""TransactionLink: a screening service, not a signing one. Connected with API credentials (an
organization token, or key + secret exchanged for a JWT); runs a workflow definition on a case and
reads its decision. It offers no signing capability, so it is never a "Send with" choice."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from providers.base import (
    Account,
    AuthExpired,
    ConnectKind,
    CredentialField,
    Provider,
    ProviderError,
    WebhookScheme,
    WebhookUrl,
)
from providers.connect.auth import connection_auth
from providers.http import ProviderHttp
from providers.transactionlink import client, mapping, webhooks

log = logging.getLogger(__name__)


class RunUncertain(ProviderError):
    """*Run* failed in a way that may still have started the (paid) run at TransactionLink: a
    timeout, a lost connection, a 5xx. It must not be repeated blindly."""


@dataclass(frozen=True)
class WorkflowRun:
    id: str
    case_id: str
    status: str  # TransactionLink's own value, kept for display
    state: str  # mapping.RunState


class TransactionLinkProvider(Provider):
    id = "transactionlink"
    name = "TransactionLink"
    summary = "KYC/KYB screening of a participant or the counter-party company before they are invited."
    signs = False
    capabilities = frozenset()
    connect = ConnectKind.API_CREDENTIALS
    credential_fields = (
        CredentialField(
            "api_token",
            "Organization API token",
            required=False,
            help="Starts with tot_. Or leave empty and give a key and secret.",
        ),
        CredentialField("api_key", "API key", secret=False, required=False),
        CredentialField("api_secret", "API secret", required=False),
    )
    settings_needed = ("TRANSACTIONLINK_API_URL",)
    # Reference: "Webhooks" — configured once in TransactionLink's dashboard, signed with a detached JWS.
    webhook_scheme = WebhookScheme.JWS
    webhook_url_shape = WebhookUrl.PER_PROVIDER
    webhook_kept_headers = ("Content-Type", "User-Agent", webhooks.HEADER)
    poll_interval = 60

    @classmethod
    def configured(cls) -> bool:
        return bool(settings.TRANSACTIONLINK_API_URL)

    @property
    def http(self) -> ProviderHttp:
        if self.connection is None:
            raise ProviderError("Connect TransactionLink on the connections page first.", permanent=True)
        return ProviderHttp(
            name=self.name, base_url=settings.TRANSACTIONLINK_API_URL, auth=connection_auth(self, self.connection)
        )

    def _public_http(self) -> ProviderHttp:
        return ProviderHttp(name=self.name, base_url=settings.TRANSACTIONLINK_API_URL)

    # --- Connection ----------------------------------------------------------------------------

    def account(self) -> Account:
        """*Test connection*: the API has no "who am I" call, so Paraph asks for the status of a run
        that cannot exist — 404 proves the credentials were accepted, 401 that they were not."""
        probe = f"workflows/{uuid.UUID(int=0)}"
        self.http.request("GET", probe, expect=(404,))
        return Account(id="", name=_credential_name(self.connection.credentials))

    def api_credentials_exchange(self, credentials: dict) -> tuple[str, datetime | None]:
        try:
            token, seconds = client.authorize(self._public_http(), credentials["api_key"], credentials["api_secret"])
        except ProviderError as exc:
            if exc.permanent:
                raise AuthExpired(f"TransactionLink refused the API key and secret: {exc.message}") from None
            raise
        return token, timezone.now() + timedelta(seconds=seconds) if seconds else None

    # --- Screening -----------------------------------------------------------------------------

    def create_case(self, fields: dict[str, str]) -> str:
        return client.create_case(self.http, fields)

    def create_parameters(self, definition_id: str, parameters: dict) -> str:
        return client.create_parameters(self.http, definition_id, parameters)

    def run(self, case_id: str, definition_id: str, parameters_id: str = "") -> WorkflowRun:
        """Starts one run. A permanent refusal started nothing; anything else raises RunUncertain."""
        try:
            answer = client.run_workflow(self.http, case_id, definition_id, parameters_id)
        except AuthExpired:
            raise
        except ProviderError as exc:
            if exc.permanent:
                raise
            raise RunUncertain(
                f"TransactionLink did not confirm the screening run ({exc.message.rstrip('.')}); it may have started. "
                "Paraph waits for its webhook instead of starting a second, paid run."
            ) from None
        return _workflow_run(answer)

    def status(self, run_id: str) -> WorkflowRun:
        return _workflow_run(client.workflow_status(self.http, run_id))

    def decision(self, run_id: str, rule: mapping.DecisionRule) -> mapping.Verdict:
        return mapping.verdict(client.workflow_result(self.http, run_id), rule)

    # --- Webhooks ------------------------------------------------------------------------------

    def webhook_verify(self, body: bytes, headers: dict[str, str]) -> None:
        webhooks.verify(body, headers, self._webhook_key)

    def _webhook_key(self, kid: str) -> str | None:
        return client.webhook_key(self._public_http(), kid)

    def webhook_remote_ids(self, body: bytes) -> list[str]:
        return [workflow_id for workflow_id, _ in webhooks.run_ids(body) if workflow_id]

    def webhook_events(self, body: bytes) -> list:
        return []  # screening runs are not envelopes; the run is re-read through `status`


def _workflow_run(answer: dict) -> WorkflowRun:
    return WorkflowRun(answer["id"], answer["caseId"], answer["status"], mapping.run_state(answer["status"]))


def _credential_name(credentials: dict) -> str:
    """What the connection acts as, recognisable without showing the secret (the API has no
    account call to name the organization)."""
    if credentials.get("api_key"):
        return f"API key {credentials['api_key']}"
    return f"API token …{credentials.get('api_token', '')[-4:]}"
