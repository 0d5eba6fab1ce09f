"""The Formify adapter: one short method per Formify endpoint, all through the shared HTTP layer.

Reference: Formify API v1 (https://developers-next.formify.eu/), summarized in the provider
contract notes; section names are given at each call.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from functools import cached_property
from urllib.parse import urljoin

from django.conf import settings
from django.utils import timezone

from providers.answers import items, optional, required
from providers.base import (
    Account,
    Capability,
    Checkpoint,
    ConnectKind,
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
)
from providers.connect.auth import connection_auth
from providers.formify import documents, snapshots, webhooks
from providers.http import ProviderHttp
from providers.oauth import OAuthClient, token_revoke

log = logging.getLogger(__name__)

CREATE_LOOKBACK = timedelta(minutes=2)  # clock skew allowance when looking for a lost creation
LIST_PAGE = 50  # GET /docs takes at most 50 per page
LIST_PAGES = 40  # searched for a document created just before a crash: the newest 2,000 either way
TAG_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread
# The language of Formify's error messages, which Paraph shows; every call whose body the reference
# marks required (revoke, reminder) carries it.
ERROR_LANGUAGE = "en"


class FormifyProvider(Provider):
    id = "formify"
    name = "Formify"
    connect = ConnectKind.OAUTH2
    settings_needed = ("FORMIFY_CLIENT_ID", "FORMIFY_CLIENT_SECRET")
    # Reference: "Webhooks" — HMAC-SHA256 over "{timestamp}.{body}", subscribed through the API.
    webhook_scheme = WebhookScheme.HMAC
    webhook_registered = True
    webhook_kept_headers = ("Content-Type", "User-Agent", "X-Formify-Timestamp")
    webhook_redacted_headers = ("X-Formify-Signature",)
    summary = "E-mail, SMS or WhatsApp invitations; drawn, BankID, ID-scan or face-liveness signatures."
    void_notice = "Formify revokes the document and its signing links stop working; Formify is not given your reason."
    max_documents = documents.MAX_FILES
    # Webhooks report changes; polling every half hour repairs a missed or late one.
    poll_interval = 30 * 60
    capabilities = frozenset(
        {
            Capability.SEQUENTIAL_ORDER,
            Capability.EMAIL,
            Capability.SMS,
            Capability.WHATSAPP,
            Capability.MULTIPLE_DOCUMENTS,
            Capability.REMINDERS_API,
            Capability.VOID,
            Capability.WEBHOOKS,
            Capability.SIGNED_DOWNLOAD,
            Capability.REMOTE_DELETE,
            Capability.FIELD_PLACEMENT,
            Capability.UPDATE_PARTICIPANT,
            Capability.FIELD_VALUES,
            *(Capability.auth(method) for method in documents.SIGNATURE_TYPES),
        }
    )

    @classmethod
    def configured(cls) -> bool:
        return bool(settings.FORMIFY_CLIENT_ID)

    @classmethod
    def oauth_client(cls) -> OAuthClient:
        api = settings.FORMIFY_API_URL
        return OAuthClient(
            name=cls.name,
            authorize_url=settings.FORMIFY_AUTHORIZE_URL,
            token_url=f"{api}/oauth/token",
            revoke_url=f"{api}/oauth/revoke",
            client_id=settings.FORMIFY_CLIENT_ID,
            client_secret=settings.FORMIFY_CLIENT_SECRET,
            scope="read,write",
        )

    @classmethod
    def request_problems(cls, request: SendRequest) -> list[str]:
        return documents.request_problems(request)

    @cached_property
    def http(self) -> ProviderHttp:
        if self.connection is None:
            raise ProviderError("This envelope has no Formify connection; choose one and send again.", permanent=True)
        return ProviderHttp(
            name=self.name, base_url=settings.FORMIFY_API_URL, auth=connection_auth(self, self.connection)
        )

    # --- Account and webhooks (Reference: "Get user info settings", "Register a new webhook") --

    def account(self) -> Account:
        # Reference: "Get user info settings" (GET /user).
        user = self.http.json("GET", "user")
        name = optional(user, "accountName", "", provider=self.name) or optional(
            user, "fullName", "", provider=self.name
        )
        return Account(
            id=required(user, "accountId", provider=self.name),
            name=name,
            email=optional(user, "emailAddress", "", provider=self.name),
        )

    def webhook_register(self, url: str) -> tuple[str, str]:
        # Reference: "Register a new webhook" (POST /webhooks) → webhookId, eventTypes, signingSecret.
        body = {"webhookUrl": url, "name": "Paraph", "eventTypes": list(webhooks.EVENT_TYPES)}
        created = self.http.json("POST", "webhooks", json=body)
        return (
            required(created, "webhookId", provider=self.name),
            required(created, "signingSecret", provider=self.name),
        )

    def webhook_delete(self, webhook_id: str) -> None:
        # Reference: "Delete a webhook" (DELETE /webhooks/{webhookId}); already gone is fine.
        self.http.request("DELETE", f"webhooks/{webhook_id}", expect=(404,))

    def disconnect(self) -> None:
        credentials = self.connection.credentials
        for hint in ("refresh_token", "access_token"):
            if credentials.get(hint):
                token_revoke(self.oauth_client(), credentials[hint], hint)

    def webhook_verify(self, body: bytes, headers) -> None:
        webhooks.verify(body, headers, secret=self.connection.webhook_secret if self.connection else "")

    def webhook_events(self, body: bytes) -> list[RemoteEvent]:
        return webhooks.events(body)

    # --- Sending (Reference: "Upload a PDF file", "Merge multiple PDF files", "Create a document") --

    def send(self, request: SendRequest, checkpoint: Checkpoint) -> RemoteEnvelope:
        problems = documents.request_problems(request)
        if problems:
            raise ProviderError(" ".join(problems), permanent=True)
        file_id = self._file_for(request, checkpoint)
        if not checkpoint.done("document"):
            creating = checkpoint.get("creating")
            document_id = self._created_before_crash(request, creating) if creating else None
            if document_id is None:
                if not isinstance(creating, dict):
                    # Recorded before the call, so that a retry after a lost answer knows the tag.
                    creating = {"at": timezone.now().isoformat(), "tag": _new_tag()}
                    checkpoint.record("creating", creating)
                # Reference: "Create a document and request signatures" (POST /docs) → 201 {documentId, …}.
                body = documents.request_body(request, file_id, tag=creating["tag"])
                created = self.http.json("POST", "docs", json=body)
                document_id = required(created, "documentId", provider=self.name)
            checkpoint.record("document", document_id)
        document_id = checkpoint.get("document")
        details = self._document(document_id)
        return RemoteEnvelope(remote_id=document_id, participant_ids=snapshots.signee_ids(request, details))

    def _file_for(self, request: SendRequest, checkpoint: Checkpoint) -> str:
        """The fileId to sign: each PDF uploaded once, merged when there are several."""
        uploaded = dict(checkpoint.get("files", {}))
        to_sign = documents.signed_documents(request)
        for document in to_sign:
            if document.ref not in uploaded:
                uploaded[document.ref] = self._upload(document.name, document.path)
                checkpoint.record("files", dict(uploaded))
        if len(to_sign) == 1:
            return uploaded[to_sign[0].ref]
        if not checkpoint.done("merged"):
            # Reference: "Merge multiple PDF files" (POST /files/merge) → 201 {fileId}.
            body = {"fileIds": [uploaded[document.ref] for document in to_sign], "name": request.title}
            merged = self.http.json("POST", "files/merge", json=body)
            checkpoint.record("merged", required(merged, "fileId", provider=self.name))
        return checkpoint.get("merged")

    def _upload(self, name: str, path: str) -> str:
        with open(path, "rb") as pdf:
            content = pdf.read()
        filename = name if name.lower().endswith(".pdf") else f"{name}.pdf"
        # Reference: "Upload a PDF file for signing" (POST /files, multipart `file`) → 201 {fileId}.
        created = self.http.json("POST", "files", files={"file": (filename, content, "application/pdf")})
        return required(created, "fileId", provider=self.name)

    def _created_before_crash(self, request: SendRequest, creating) -> str | None:
        """A create call whose answer was lost (crash, timeout) may still have made the document.
        It carries a tag in its name that only this send uses; look for it before making another.

        The reference promises no order for GET /docs, so the pages are read in full, up to
        LIST_PAGES of them; createdAt (whose format it does not give either) only rules out a
        document when it can be read and is clearly older. When the listing is longer than that
        and the document was not found, Paraph cannot tell, and stops rather than risk sending the
        signers a second request."""
        if isinstance(creating, dict):
            since, tag = snapshots.parse_time(creating.get("at")), creating.get("tag", "")
        else:  # a checkpoint written before tags: the time alone
            since, tag = snapshots.parse_time(creating), ""
        name = documents.document_name(request.title, tag)
        since = (since or timezone.now()) - CREATE_LOOKBACK
        offset = 0
        for _ in range(LIST_PAGES):
            # Reference: "Get documents" (GET /docs) → {limit, offset, nextOffset, documents[…]}.
            listing = self.http.json("GET", "docs", params={"limit": LIST_PAGE, "offset": offset})
            found = self._listed_match(request, listing, name, since)
            if found:
                log.info("Formify document %s adopted after an interrupted send", found)
                return found
            next_offset = optional(listing, "nextOffset", None, provider=self.name, kind=int)
            if next_offset is None or next_offset <= offset:
                return None
            offset = next_offset
        raise ProviderError(
            f"Formify may already hold “{name}” from a send that was interrupted, and the account has too many "
            "documents for Paraph to be sure. Look for it in Formify and revoke it if it is there, then send "
            "the envelope again.",
            permanent=True,
        )

    def _listed_match(self, request: SendRequest, listing, name: str, since) -> str | None:
        listed = required(listing, "documents", provider=self.name, kind=list)
        for index, summary in enumerate(listed):
            where = f"documents[{index}]"
            if optional(summary, "name", "", provider=self.name, where=where) != name:
                continue
            created = optional(summary, "createdAt", None, provider=self.name, kind=(str, int, float), where=where)
            created_at = snapshots.parse_time(created)
            if created_at is not None and created_at < since:
                continue
            document_id = required(summary, "documentId", provider=self.name, where=where)
            if snapshots.same_signees(request, self._document(document_id)):
                return document_id
        return None

    # --- Tracking and changes (Reference: "Get document details/status", "Send reminders", …) --

    def _document(self, document_id: str) -> dict:
        # Reference: "Get document details/status" (GET /docs/{documentId}); it carries no documentId.
        return self.http.json("GET", f"docs/{document_id}")

    def fetch(self, remote_id: str) -> RemoteSnapshot:
        return snapshots.snapshot(self._document(remote_id), remote_id)

    def remind(self, remote_id: str, participant_refs: list[str], remote_ids: dict[str, str]) -> RemindResult:
        refs = {remote_ids[ref]: ref for ref in participant_refs if remote_ids.get(ref)}
        if not refs:
            return RemindResult(
                not_reminded={ref: "Formify has no signer id for them yet." for ref in participant_refs}
            )
        # Reference: "Send reminders to specific signees" (POST /docs/{documentId}/reminder).
        body = {"signeeIds": list(refs), "errorLanguage": ERROR_LANGUAGE}
        answer = self.http.json("POST", f"docs/{remote_id}/reminder", json=body)
        return snapshots.remind_result(answer, refs, now=timezone.now())

    def void(self, remote_id: str, reason: str) -> None:
        # Reference: "Revoke a document" — a required body whose one field is errorLanguage.
        try:
            self.http.request("PUT", f"docs/{remote_id}/revoke", json={"errorLanguage": ERROR_LANGUAGE})
        except ProviderError as exc:
            if not exc.permanent:
                raise
            # Refused: perhaps because an earlier revoke went through and its answer was lost.
            try:
                status = snapshots.status_of(self._document(remote_id))
            except ProviderError:
                raise exc from None
            if status != "revoked":
                raise
            log.info("Formify document %s was already revoked", remote_id)

    def update_participant(self, remote_id: str, participant: ParticipantSpec) -> str:
        """Changes only what differs, and only contact methods the signee already has (Formify
        cannot add one). Returns the signee's new id."""
        signee = self._signee(remote_id, participant.remote_id)
        change = documents.contact_change(signee, participant)
        if len(change) == 1:
            return signee.signee_id  # nothing differs
        # Reference: "Update signee details for a document" (PATCH /docs/{documentId}/signature-field).
        try:
            answer = self.http.json("PATCH", f"docs/{remote_id}/signature-field", json=[change])
        except ProviderError as exc:
            raise self._with_update_cooldown(exc, remote_id, participant.remote_id) from None
        # One object, as the reference documents; a list (of one, for one change) is read too.
        updated = answer
        if isinstance(answer, list):
            updated = (items(answer, provider=self.name, where="the signee update") or [None])[0]
        new_id = required(updated, "signeeId", provider=self.name)
        # The reference says a new signeeId is generated but not whether the answer's is the new one:
        # take it when the document lists it, else the signee now holding the new contact details.
        now = snapshots.signees_of(self._document(remote_id))
        if any(s.signee_id == new_id for s in now):
            return new_id
        email, phone = change.get("emailAddress") or signee.email, change.get("phoneNumber") or signee.phone
        moved = [s for s in now if not s.signed and snapshots.same_contact(s, email, phone)]
        return moved[0].signee_id if len(moved) == 1 else new_id

    def _signee(self, remote_id: str, signee_id: str) -> snapshots.Signee:
        for signee in snapshots.signees_of(self._document(remote_id)):
            if signee.signee_id == signee_id:
                return signee
        raise ProviderError(
            "Formify no longer lists this signer on the document; reload the envelope and try again.", permanent=True
        )

    def _with_update_cooldown(self, exc: ProviderError, remote_id: str, signee_id: str) -> ProviderError:
        """Adds when the next change is possible (Formify allows two, then a 60-minute pause)."""
        try:
            seconds = snapshots.update_cooldown(self._document(remote_id), signee_id)
        except ProviderError:
            return exc
        if not seconds:
            return exc
        when = snapshots.in_words(seconds)
        return ProviderError(f"{exc.message} The next change is possible in {when}.", permanent=True)

    def download_signed(self, remote_id: str) -> list[SignedFile]:
        # Reference: "Get Signed Document File" — a 302 to a pre-signed URL valid 10 minutes.
        answer = self.http.request("GET", f"docs/{remote_id}/signed-file", allow_redirects=False)
        if answer.is_redirect:
            location = answer.headers.get("Location", "")
            if not location:
                raise ProviderError("Formify did not say where the signed PDF is; Paraph will try again.")
            # A pre-signed link on another service: fetched without our bearer token.
            answer = self.http.request("GET", urljoin(answer.url, location), authorized=False)
        if not answer.content.startswith(b"%PDF"):
            raise ProviderError("Formify did not return the signed PDF; Paraph will try again.", retry_after=300)
        return [SignedFile(name=f"{remote_id}.pdf", content=answer.content)]

    def field_values(self, remote_id: str) -> dict[str, list[str]]:
        # Reference: "Retrieve form field values" — [{name, value: [strings]}], non-empty fields only.
        answer = self.http.json("GET", f"docs/{remote_id}/field-values")
        listed = items([] if answer is None else answer, provider=self.name, where="the field values")
        values = {}
        for index, item in enumerate(listed):
            where = f"field values[{index}]"
            value = required(item, "value", provider=self.name, kind=list, where=where)
            values[required(item, "name", provider=self.name, where=where)] = [str(v) for v in value]
        return values

    def delete_remote(self, remote_id: str) -> None:
        # Reference: "Delete a document" (DELETE /docs/{documentId}); already gone is fine.
        self.http.request("DELETE", f"docs/{remote_id}", expect=(404,))


def _new_tag() -> str:
    return "".join(secrets.choice(TAG_ALPHABET) for _ in range(6))
