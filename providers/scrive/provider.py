"""The Scrive adapter: envelopes with one document to sign go through Scrive's Document API v2 —
`new` (the PDF) → `update` (the parties) → `start` — tracked by document callbacks and polling.

Reference: Scrive Document API v2 (Swagger 2.0) and its "Authentication", "Callbacks" and
"Errors" sections; the Flow guide ("Creating a Flow instance") for the PLAINTEXT header as Scrive
writes it. Each endpoint is one function in `client.py`; the tables are in `mapping.py`.
"""

from __future__ import annotations

import logging
import secrets
import time
from functools import cached_property

from django.conf import settings
from django.utils import timezone

from providers.answers import optional, required
from providers.base import (
    Account,
    Capability,
    Checkpoint,
    ConnectKind,
    CredentialField,
    ParticipantSpec,
    Provider,
    ProviderError,
    RemindResult,
    RemoteEnvelope,
    RemoteEvent,
    RemoteSnapshot,
    SendRequest,
    SignedFile,
    WebhookScheme,
    WebhookUrl,
)
from providers.connect.oauth1 import OAuth1Client, OAuth1Plaintext
from providers.http import ProviderHttp
from providers.scrive import client, mapping, webhooks
from providers.scrive.client import Refused

log = logging.getLogger(__name__)

PRIVILEGES = "DOC_CREATE+DOC_CHECK+DOC_SEND"
# The sealed PDF is not ready for "~10 seconds" after closing (Reference: files/main, 503): waited
# out in place, about 15 seconds in all, before the download is left for the next try.
SEAL_WAITS = (1, 2, 4, 8)
PROLONG_DAYS = (1, 90)
LIST_PAGE, LIST_PAGES = 100, 10  # drafts searched for one whose creation answer was lost
TAG_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread


class ScriveAuth(OAuth1Plaintext):
    """The PLAINTEXT header exactly as Scrive's guide writes it: no `OAuth ` prefix, no nonce or
    timestamp, the secrets joined by a bare `&`."""

    def headers(self, method: str, url: str) -> tuple[dict[str, str], str]:
        super().headers(method, url)  # the connection's state and completeness checks
        c = self.connection.credentials
        header = (
            f'oauth_signature_method="PLAINTEXT", oauth_consumer_key="{c["client_key"]}", '
            f'oauth_token="{c["token_key"]}", oauth_signature="{c["client_secret"]}&{c["token_secret"]}"'
        )
        return {"Authorization": header}, c["token_key"]


class ScriveProvider(Provider):
    id = "scrive"
    name = "Scrive"
    connect = ConnectKind.OAUTH1
    credential_fields = (
        CredentialField("client_key", "Client credentials identifier (apitoken)", secret=False),
        CredentialField("client_secret", "Client credentials secret (apisecret)"),
        CredentialField("token_key", "Token credentials identifier (accesstoken)", secret=False),
        CredentialField("token_secret", "Token credentials secret (accesssecret)"),
    )
    settings_needed = ("SCRIVE_CLIENT_ID", "SCRIVE_CLIENT_SECRET")
    summary = "One document per envelope; e-mail or SMS invitations; SMS code, Swedish or Norwegian BankID, Onfido."
    # Reference: "Callbacks" — an unsigned POST to the document's api_callback_url: the URL carries
    # a per-connection secret and travels with each document.
    webhook_scheme = WebhookScheme.URL_SECRET
    webhook_url_shape = WebhookUrl.PER_CONNECTION
    webhook_registered = False
    # Callbacks report every change; a poll every half hour repairs a missed one while keeping
    # well clear of the list/get rate the reference asks integrations to respect.
    poll_interval = 30 * 60
    max_documents = 1
    capabilities = frozenset(
        {
            Capability.SEQUENTIAL_ORDER,
            Capability.APPROVERS,
            Capability.VIEWERS,
            Capability.EMAIL,
            Capability.SMS,
            Capability.REMINDERS_API,
            Capability.VOID,
            Capability.WEBHOOKS,
            Capability.SIGNED_DOWNLOAD,
            Capability.REMOTE_DELETE,
            Capability.UPDATE_PARTICIPANT,
            Capability.EXPIRY,
            *(Capability.auth(method) for method in mapping.AUTH_METHODS),
        }
    )

    def __init__(self, connection=None, *, sleep=time.sleep):
        super().__init__(connection)
        self.sleep = sleep

    @classmethod
    def configured(cls) -> bool:
        # Pasted personal access credentials work on any installation; SCRIVE_CLIENT_ID adds the
        # three-legged connect.
        return True

    @classmethod
    def oauth1_client(cls) -> OAuth1Client | None:
        if not (settings.SCRIVE_CLIENT_ID and settings.SCRIVE_CLIENT_SECRET):
            return None
        api = settings.SCRIVE_API_URL
        # Reference: "OAuth 1.0 Workflow" — temporary credentials with privileges, authorization, token.
        return OAuth1Client(
            name=cls.name,
            temporary_credentials_url=f"{api}/oauth/temporarycredentials",
            authorize_url=f"{api}/oauth/authorization",
            token_credentials_url=f"{api}/oauth/tokencredentials",
            client_key=settings.SCRIVE_CLIENT_ID,
            client_secret=settings.SCRIVE_CLIENT_SECRET,
            temporary_params=(("privileges", PRIVILEGES),),
        )

    @classmethod
    def request_problems(cls, request: SendRequest) -> list[str]:
        return mapping.request_problems(request)

    @cached_property
    def auth(self) -> ScriveAuth:
        return ScriveAuth(self.connection)

    @cached_property
    def http(self) -> ProviderHttp:
        if self.connection is None:
            raise ProviderError("This envelope has no Scrive connection; choose one and send again.", permanent=True)
        return ProviderHttp(name=self.name, base_url=settings.SCRIVE_API_URL, auth=self.auth)

    # --- The connection ----------------------------------------------------------------------

    def account(self) -> Account:
        """Proves the credentials with Scrive's "is auth working" call. Scrive tokens do not
        expire: a refusal means they were revoked, so the connection needs reconnecting."""
        answer = client.auth_check(self.http)
        if answer.status_code == 401:
            message = "Scrive did not accept these credentials; check them, or connect the account again."
            self.auth.revoked(message)
            raise ProviderError(message, permanent=True)
        if answer.status_code == 403:
            raise client.refused(answer, "DOC_CHECK")
        credentials = self.connection.credentials
        return Account(id=credentials.get("token_key", ""), name=self.connection.label or self.name)

    def webhook_events(self, body: bytes) -> list[RemoteEvent]:
        return webhooks.events(body)

    # --- Sending -----------------------------------------------------------------------------

    def send(self, request: SendRequest, checkpoint: Checkpoint) -> RemoteEnvelope:
        """new → update → start, each remote id recorded as soon as it exists: a retry after a
        crash resumes with the same document and never starts it twice."""
        problems = mapping.request_problems(request)
        to_sign = [d for d in request.documents if d.kind == "sign"]
        if len(to_sign) != 1 or len(request.documents) != 1:
            problems.append("Scrive takes exactly one document to sign per envelope here, and no attachments.")
        if problems:
            raise ProviderError(" ".join(problems), permanent=True)
        document_id = self._draft(request, checkpoint)
        try:
            if not checkpoint.get("parties"):
                document = self._parties_set(document_id, request)
                checkpoint.record("parties", mapping.signatory_ids(request, document))
            if not checkpoint.get("started"):
                self._start(document_id)
                checkpoint.record("started", True)
        except ProviderError as exc:
            if exc.permanent:
                self._abandon(document_id, checkpoint)
            raise
        return RemoteEnvelope(remote_id=document_id, participant_ids=dict(checkpoint.get("parties")))

    def _draft(self, request: SendRequest, checkpoint: Checkpoint) -> str:
        """The Scrive draft of this send: the recorded one, else the one a call whose answer was
        lost made (found by the tagged title it carries until the update renames it), else new."""
        document_id = checkpoint.get("document")
        if document_id:
            return document_id
        tagged = checkpoint.get("creating")
        if tagged:
            document_id = self._draft_titled(tagged)
        else:
            # Recorded before the call, so that a retry after a lost answer knows what to look for.
            tagged = f"{request.title} (ref. {_new_tag()})"
            checkpoint.record("creating", tagged)
        if not document_id:
            with open(request.documents[0].path, "rb") as pdf:
                # Reference: documents/new — the title is the file name without its extension.
                document = client.document_new(self.http, f"{tagged}.pdf", pdf.read())
            document_id = required(document, "id", provider=self.name)
        checkpoint.record("document", document_id)
        return document_id

    def _draft_titled(self, title: str) -> str:
        in_preparation = [{"filter_by": "status", "statuses": ["preparation"]}, {"filter_by": "is_author"}]
        for page in range(LIST_PAGES):
            listing = client.document_list(self.http, in_preparation, offset=page * LIST_PAGE, limit=LIST_PAGE)
            listed = required(listing, "documents", provider=self.name, kind=list)
            for index, document in enumerate(listed):
                if optional(document, "title", "", provider=self.name, where=f"documents[{index}]") == title:
                    log.info("Scrive draft adopted after an interrupted send")
                    return required(document, "id", provider=self.name, where=f"documents[{index}]")
            if len(listed) < LIST_PAGE:
                return ""
        raise ProviderError(
            f"Scrive may hold a draft “{title}” from an interrupted send among more drafts than Paraph reads; "
            "delete it in Scrive if it is there, then send the envelope again.",
            permanent=True,
        )

    def _parties_set(self, document_id: str, request: SendRequest) -> dict:
        """The update call, with the object_version just read; a 409 version conflict (someone
        changed the draft meanwhile) is re-read and retried once."""
        document = client.document_get(self.http, document_id)
        for attempt in (1, 2):
            body = mapping.update_body(request, mapping.author_of(document), now=timezone.now())
            try:
                return client.document_update(self.http, document_id, body, mapping.object_version(document))
            except Refused as exc:
                if exc.error_type != "document_object_version_mismatch" or attempt == 2:
                    raise
                log.info("Scrive document %s changed meanwhile; re-read and updated again", document_id)
                document = client.document_get(self.http, document_id)
        raise AssertionError("unreachable")

    def _start(self, document_id: str) -> None:
        """Starts the draft unless an earlier attempt already did (its answer lost)."""
        document = client.document_get(self.http, document_id)
        if mapping.status_of(document) != "preparation":
            log.info("Scrive document %s was already started", document_id)
            return
        client.document_start(self.http, document_id, mapping.object_version(document))

    def _abandon(self, document_id: str, checkpoint: Checkpoint) -> None:
        """A send that cannot go on leaves no draft behind at Scrive (best effort), and the next
        send starts from a new one."""
        try:
            if mapping.status_of(client.document_get(self.http, document_id)) == "preparation":
                client.document_trash(self.http, document_id)
                log.info("Scrive draft %s of an abandoned send trashed", document_id)
        except ProviderError as exc:
            log.warning("Scrive draft %s not trashed: %s", document_id, exc.message)
            return
        checkpoint.record("creating", "")
        checkpoint.record("document", "")
        checkpoint.record("parties", {})

    # --- Tracking and changes ----------------------------------------------------------------

    def fetch(self, remote_id: str) -> RemoteSnapshot:
        return mapping.snapshot(client.document_get(self.http, remote_id), remote_id)

    def remind(self, remote_id: str, participant_refs: list[str], remote_ids: dict[str, str]) -> RemindResult:
        # Scrive reminds every party who has not signed yet; it cannot pick some of them.
        client.document_remind(self.http, remote_id)
        return RemindResult(reminded=tuple(participant_refs))

    def void(self, remote_id: str, reason: str) -> None:
        try:
            client.document_cancel(self.http, remote_id)
        except Refused as exc:
            if exc.status != 409:
                raise
            # Not pending: perhaps an earlier cancel went through and its answer was lost.
            if mapping.status_of(client.document_get(self.http, remote_id)) != "canceled":
                raise

    def prolong(self, remote_id: str, days: int) -> RemoteSnapshot:
        """Gives a timed-out document `days` more (1–90); it is pending again."""
        low, high = PROLONG_DAYS
        if not low <= days <= high:
            raise ProviderError(f"Scrive prolongs by {low} to {high} days; choose a number in that range.",
                                permanent=True)
        return mapping.snapshot(client.document_prolong(self.http, remote_id, days), remote_id)

    def update_participant(self, remote_id: str, participant: ParticipantSpec) -> str:
        phone = mapping.mobile(participant.phone)
        if phone and not mapping.valid_mobile(phone):
            raise ProviderError("Scrive needs the mobile number with its country code, like +46701234567.",
                                permanent=True)
        client.contact_change(self.http, remote_id, participant.remote_id, email=participant.email, mobile=phone)
        return participant.remote_id  # Scrive keeps the signatory's id

    def download_signed(self, remote_id: str) -> list[SignedFile]:
        for wait in (*SEAL_WAITS, None):
            answer = client.main_file(self.http, remote_id)
            if answer.status_code != 503:
                break
            if wait is None:
                raise ProviderError("Scrive is still sealing the signed PDF; Paraph will try again.", retry_after=60)
            self.sleep(wait)
        if not answer.content.startswith(b"%PDF"):
            raise ProviderError("Scrive did not return the signed PDF; Paraph will try again.", retry_after=300)
        return [SignedFile(name=f"{remote_id}.pdf", content=answer.content)]

    def delete_remote(self, remote_id: str) -> None:
        """Trash, then delete (Scrive deletes only from Trash); gone already is fine."""
        try:
            client.document_trash(self.http, remote_id)
        except Refused as exc:
            if exc.status == 404:
                return
            if exc.status != 409:
                raise
        try:
            client.document_delete(self.http, remote_id)
        except Refused as exc:
            if exc.status != 404:
                raise


def _new_tag() -> str:
    return "".join(secrets.choice(TAG_ALPHABET) for _ in range(6))
