"""The Formify adapter: one short method per Formify endpoint, all through the shared HTTP layer.

Reference: Formify API v1 (https://developers-next.formify.eu/), summarized in the provider
contract notes; section names are given at each call.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from providers.base import (
    Account,
    Capability,
    Checkpoint,
    ParticipantSpec,
    Provider,
    ProviderError,
    RemindResult,
    RemoteEnvelope,
    RemoteEvent,
    RemoteSnapshot,
    SendRequest,
    SignedFile,
)
from providers.formify import documents, snapshots, webhooks
from providers.http import ProviderHttp
from providers.oauth import ConnectionTokens, OAuthClient, token_revoke

log = logging.getLogger(__name__)

CREATE_LOOKBACK = timedelta(minutes=2)  # clock skew allowance when looking for a lost creation
LIST_PAGES = 4  # pages of 50 searched for a document created just before a crash


class FormifyProvider(Provider):
    id = "formify"
    name = "Formify"
    connect = "oauth2"
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
        tokens = ConnectionTokens(self.connection, self.oauth_client())
        return ProviderHttp(name=self.name, base_url=settings.FORMIFY_API_URL, tokens=tokens)

    # --- Account and webhooks (Reference: "Get user", "Webhooks") ---------------------------

    def account(self) -> Account:
        user = self.http.json("GET", "user")
        return Account(
            id=str(user.get("accountId") or user.get("userId") or ""),
            name=user.get("accountName") or user.get("fullName") or "",
            email=user.get("emailAddress") or "",
        )

    def webhook_register(self, url: str) -> tuple[str, str]:
        body = {"webhookUrl": url, "name": "Paraph", "eventTypes": list(webhooks.EVENT_TYPES)}
        created = self.http.json("POST", "webhooks", json=body)
        return created["webhookId"], created["signingSecret"]

    def webhook_delete(self, webhook_id: str) -> None:
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

    # --- Sending (Reference: "Upload File", "Merge Files", "Create Document") ----------------

    def send(self, request: SendRequest, checkpoint: Checkpoint) -> RemoteEnvelope:
        problems = documents.request_problems(request)
        if problems:
            raise ProviderError(" ".join(problems), permanent=True)
        file_id = self._file_for(request, checkpoint)
        if not checkpoint.done("document"):
            document_id = self._created_before_crash(request, checkpoint) if checkpoint.done("creating") else None
            if document_id is None:
                checkpoint.record("creating", timezone.now().isoformat())
                created = self.http.json("POST", "docs", json=documents.request_body(request, file_id))
                document_id = created["documentId"]
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
            body = {"fileIds": [uploaded[document.ref] for document in to_sign], "name": request.title}
            checkpoint.record("merged", self.http.json("POST", "files/merge", json=body)["fileId"])
        return checkpoint.get("merged")

    def _upload(self, name: str, path: str) -> str:
        with open(path, "rb") as pdf:
            content = pdf.read()
        filename = name if name.lower().endswith(".pdf") else f"{name}.pdf"
        created = self.http.json("POST", "files", files={"file": (filename, content, "application/pdf")})
        return created["fileId"]

    def _created_before_crash(self, request: SendRequest, checkpoint: Checkpoint) -> str | None:
        """A create call whose answer was lost (crash, timeout) may still have made the document:
        look for it among the newest ones (same name, made since, same signees) before making another."""
        since = parse_datetime(checkpoint.get("creating")) - CREATE_LOOKBACK
        for page in range(LIST_PAGES):
            listing = self.http.json("GET", "docs", params={"limit": 50, "offset": page * 50})
            for summary in listing.get("documents", []):
                created_at = parse_datetime(summary.get("createdAt") or "")
                if summary.get("name") == request.title and created_at and created_at >= since:
                    details = self._document(summary["documentId"])
                    if snapshots.same_signees(request, details):
                        log.info("Formify document %s adopted after an interrupted send", summary["documentId"])
                        return summary["documentId"]
            if listing.get("nextOffset") is None:
                break
        return None

    # --- Tracking and changes (Reference: "Get Document", "Send Reminder", "Revoke", …) ------

    def _document(self, document_id: str) -> dict:
        return self.http.json("GET", f"docs/{document_id}")

    def fetch(self, remote_id: str) -> RemoteSnapshot:
        return snapshots.snapshot(self._document(remote_id))

    def remind(self, remote_id: str, participant_refs: list[str], remote_ids: dict[str, str]) -> RemindResult:
        refs = {remote_ids[ref]: ref for ref in participant_refs if remote_ids.get(ref)}
        if not refs:
            return RemindResult(
                not_reminded={ref: "Formify has no signer id for them yet." for ref in participant_refs}
            )
        answer = self.http.json("POST", f"docs/{remote_id}/reminder", json={"signeeIds": list(refs)})
        return snapshots.remind_result(answer, refs, now=timezone.now())

    def void(self, remote_id: str, reason: str) -> None:
        self.http.request("PUT", f"docs/{remote_id}/revoke")

    def update_participant(self, remote_id: str, participant: ParticipantSpec) -> str:
        change = {"signeeId": participant.remote_id, "fullName": participant.name}
        change.update(
            {
                key: value
                for key, value in documents.contact(participant.email, participant.phone, participant.delivery).items()
                if key in ("emailAddress", "phoneNumber")
            }
        )
        try:
            answer = self.http.json("PATCH", f"docs/{remote_id}/signature-field", json=[change])
        except ProviderError as exc:
            raise self._with_update_cooldown(exc, remote_id, participant.remote_id) from None
        updated = answer[0] if isinstance(answer, list) else answer
        return updated["signeeId"]

    def _with_update_cooldown(self, exc: ProviderError, remote_id: str, signee_id: str) -> ProviderError:
        """Adds when the next change is possible (Formify allows two, then a 60-minute pause)."""
        try:
            details = self._document(remote_id)
        except ProviderError:
            return exc
        seconds = snapshots.update_cooldown(details, signee_id)
        if not seconds:
            return exc
        when = snapshots.in_words(seconds)
        return ProviderError(f"{exc.message} The next change is possible in {when}.", permanent=True)

    def download_signed(self, remote_id: str) -> list[SignedFile]:
        answer = self.http.request("GET", f"docs/{remote_id}/signed-file", allow_redirects=False)
        if answer.is_redirect:
            # A pre-signed link on another service: fetched without our bearer token.
            answer = self.http.request("GET", answer.headers["Location"], authorized=False)
        if not answer.content.startswith(b"%PDF"):
            raise ProviderError("Formify did not return the signed PDF; Paraph will try again.", retry_after=300)
        return [SignedFile(name=f"{remote_id}.pdf", content=answer.content)]

    def field_values(self, remote_id: str) -> dict[str, list[str]]:
        values = self.http.json("GET", f"docs/{remote_id}/field-values") or []
        return {item["name"]: list(item.get("value") or []) for item in values if item.get("name")}

    def delete_remote(self, remote_id: str) -> None:
        self.http.request("DELETE", f"docs/{remote_id}", expect=(404,))
