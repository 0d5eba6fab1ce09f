"""The EasyInk adapter. A send builds a signing session draft call by call (documents, processing,
attachments, participants, fields, order, parameters), converts it and starts it; every remote id
and finished step goes into the checkpoint the moment it exists, so a retry resumes instead of
making a second session, document, participant or field. There are no webhooks: the session is
polled.

Reference: EasyInk Public API (section names at each call); paths in `paths.py`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from datetime import datetime, timedelta
from functools import cached_property, partial

import requests
from django.conf import settings
from django.utils import timezone

from providers.answers import items, optional, required
from providers.base import (
    Account,
    AuthExpired,
    Capability,
    Checkpoint,
    ConnectKind,
    ParticipantSpec,
    Provider,
    ProviderError,
    RemoteEnvelope,
    RemoteSnapshot,
    SendRequest,
    SignedFile,
    UnreadableAnswer,
)
from providers.connect.auth import connection_auth
from providers.easyink import drafts, mapping
from providers.easyink.paths import overrides, path
from providers.http import ProviderHttp
from providers.oauth import OAuthClient

log = logging.getLogger(__name__)

SCOPE = "openid hermes_api hermes_idp profile"  # Reference: "Authentication", Step 2
REFUSED = (400, 403, 404, 409, 422)  # EasyInk's own refusals, read here for their message
PROCESSING = "Document processing is in progress"
# Waiting for document processing inside one send: 1, 2, 4 … seconds, this long in all; then the
# send is handed back to the queue and resumes from its checkpoint.
PROCESSING_WAIT = 30.0
PROCESSING_RETRY = 60  # seconds until the queued send resumes
CREATE_LOOKBACK = timedelta(minutes=2)
MAX_REASON = 1000


class EasyInkProvider(Provider):
    id = "easyink"
    name = "EasyInk"
    connect = ConnectKind.OAUTH2
    settings_needed = ("EASYINK_CLIENT_ID", "EASYINK_CLIENT_SECRET")
    summary = "E-mail or SMS invitations in English or Spanish; sessions built step by step and tracked by polling."
    # No webhooks: the session is read every five minutes while out for signature.
    poll_interval = 5 * 60
    capabilities = frozenset(
        {
            Capability.SEQUENTIAL_ORDER,
            Capability.EMAIL,
            Capability.SMS,
            Capability.ATTACHMENTS,
            Capability.MULTIPLE_DOCUMENTS,
            Capability.VOID,
            Capability.SIGNED_DOWNLOAD,
            Capability.FIELD_PLACEMENT,
            Capability.UPDATE_PARTICIPANT,
        }
    )

    def __init__(self, connection=None, *, sleep=time.sleep):
        super().__init__(connection)
        self.sleep = sleep

    @classmethod
    def configured(cls) -> bool:
        return bool(settings.EASYINK_CLIENT_ID)

    @classmethod
    def settings_problems(cls) -> list[str]:
        """Half-set client settings, and a malformed EASYINK_PATHS (reported at start-up rather
        than on the first send)."""
        problems = super().settings_problems()
        try:
            overrides(settings.EASYINK_PATHS)
        except ValueError as exc:
            problems.append(str(exc))
        return problems

    @classmethod
    def oauth_client(cls) -> OAuthClient:
        identity = settings.EASYINK_IDENTITY_URL
        return OAuthClient(
            name=cls.name,
            authorize_url=f"{identity}/connect/authorize",
            token_url=f"{identity}/connect/token",
            revoke_url="",  # EasyInk documents no revocation; the token ends at its exp
            client_id=settings.EASYINK_CLIENT_ID,
            client_secret=settings.EASYINK_CLIENT_SECRET,
            scope=SCOPE,
            pkce=True,
        )

    @classmethod
    def request_problems(cls, request: SendRequest) -> list[str]:
        return drafts.request_problems(request)

    @cached_property
    def http(self) -> ProviderHttp:
        if self.connection is None:
            raise ProviderError("This envelope has no EasyInk connection; choose one and send again.", permanent=True)
        return ProviderHttp(name=self.name, base_url=settings.EASYINK_API_URL,
                            auth=connection_auth(self, self.connection))

    # --- Calls ------------------------------------------------------------------------------------

    def _call(self, method: str, name: str, *, values: dict | None = None, **kwargs) -> requests.Response:
        """One API call; EasyInk's refusals become ProviderErrors carrying its message."""
        response = self.http.request(method, path(name, **(values or {})), expect=REFUSED, **kwargs)
        if response.status_code >= 400:
            raise refusal(response)
        return response

    def _json(self, method: str, name: str, **kwargs):
        response = self._call(method, name, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise UnreadableAnswer(self.name, "the body is not JSON") from None

    def _new_id(self, method: str, name: str, what: str, **kwargs) -> str:
        """A create call's answer: the new id as a bare JSON string."""
        answer = self._json(method, name, **kwargs)
        if not isinstance(answer, str) or not answer:
            raise UnreadableAnswer(self.name, f"the new {what}'s id is missing")
        return answer

    # --- Account ----------------------------------------------------------------------------------

    def account(self) -> Account:
        """Who the token acts for (its claims), proved by a call the token must be good for."""
        # Reference: "Get signing sessions statistics" — any answer proves the token works.
        self.statistics()
        claims = token_claims(self.connection.credentials.get("access_token", ""))
        user_id = claims.get("sub") or ""
        if not isinstance(user_id, str) or not user_id:
            raise UnreadableAnswer(self.name, "the access token names no user (sub)")
        name, email = claims.get("name"), claims.get("email")
        return Account(id=user_id, name=str(name or email or user_id), email=str(email or ""))

    def statistics(self) -> dict[str, int]:
        """The organization's session counts, for the connection card."""
        # Reference: "Get signing sessions statistics".
        answer = self._json("GET", "statistics")
        keys = ("sessionsToSignCount", "draftsCount", "readyToStartCount", "inProgressCount", "needsActionCount")
        return {key: optional(answer, key, 0, provider=self.name, kind=int) for key in keys}

    # --- Sending ----------------------------------------------------------------------------------

    def send(self, request: SendRequest, checkpoint: Checkpoint) -> RemoteEnvelope:
        problems = drafts.request_problems(request)
        if problems:
            raise ProviderError(" ".join(problems), permanent=True)
        draft_id = self._draft_for(request, checkpoint)
        try:
            self._build(request, checkpoint, draft_id)
        except ProviderError as exc:
            if exc.permanent and not isinstance(exc, AuthExpired) and not checkpoint.done("converted"):
                self._abandon(checkpoint, draft_id)
            raise
        return RemoteEnvelope(remote_id=draft_id, participant_ids=dict(checkpoint.get("participants", {})))

    def _build(self, request: SendRequest, checkpoint: Checkpoint, draft_id: str) -> None:
        if not checkpoint.done("converted"):
            self._compose(request, checkpoint, draft_id)
        self._advance(checkpoint, draft_id, "started", "start", ("Draft", "ReadyToStart"))

    def _compose(self, request: SendRequest, checkpoint: Checkpoint, draft_id: str) -> None:
        """Everything done to the draft, each part once, then the conversion to ready-to-start."""
        documents = self._uploaded(request, checkpoint, draft_id, drafts.signed_documents(request), "documents")
        self._uploaded(request, checkpoint, draft_id, drafts.attachments(request), "attachments")
        if not checkpoint.done("processed"):
            self._wait_for_processing(draft_id)
            checkpoint.record("processed", True)
        people = self._participants(request, checkpoint, draft_id)
        self._fields(request, checkpoint, draft_id, documents, people)
        if not checkpoint.done("order"):
            body = drafts.order_body(request, people)
            if body is None:
                # Reference: "Set all-at-once signing order" (the default; said again on a resumed draft).
                self._call("PUT", "order_all_at_once", values={"id": draft_id})
            else:
                # Reference: "Set one-by-one signing order" — every participant listed.
                self._call("PUT", "order_one_by_one", values={"id": draft_id}, json=body)
            checkpoint.record("order", True)
        if not checkpoint.done("parameters"):
            # Reference: "Update session parameters" (subject, reminderFrequency).
            body = {"subject": request.title, "reminderFrequency": drafts.reminder_frequency(request.reminder_days)}
            self._call("PUT", "draft_parameters", values={"id": draft_id}, json=body)
            checkpoint.record("parameters", True)
        self._advance(checkpoint, draft_id, "converted", "convert", ("Draft",))

    def _draft_for(self, request: SendRequest, checkpoint: Checkpoint) -> str:
        if checkpoint.done("draft"):
            return checkpoint.get("draft")
        creating = checkpoint.get("creating")
        draft_id = self._created_before_crash(request, creating) if creating else None
        if draft_id is None:
            # Recorded before the call, so a retry after a lost answer knows to look for it.
            checkpoint.record("creating", timezone.now().isoformat())
            # Reference: "Create signing session draft" → the id as a bare JSON string.
            draft_id = self._new_id("POST", "draft_create", "draft", json=drafts.draft_body(request))
        checkpoint.record("draft", draft_id)
        return draft_id

    def _created_before_crash(self, request: SendRequest, creating: str) -> str | None:
        """A draft whose creation answer was lost: an empty draft with this subject created since
        the attempt (the search lists newest first). Only an unambiguous match is adopted."""
        since = datetime.fromisoformat(creating) - CREATE_LOOKBACK
        # Reference: "Search signing sessions" (pageIndex, pageSize ≤ 100, statuses).
        listing = self._json("GET", "search", params={"pageIndex": 0, "pageSize": 100, "statuses": "Draft"})
        matches = []
        for index, item in enumerate(items(required(listing, "items", provider=self.name, kind=list),
                                           provider=self.name, where="items")):
            where = f"items[{index}]"
            created = mapping._time(optional(item, "created", None, provider=self.name, where=where))
            if optional(item, "subject", "", provider=self.name, where=where) != request.title:
                continue
            if created is not None and created < since:
                continue
            draft_id = required(item, "id", provider=self.name, where=where)
            if self._is_empty(draft_id):
                matches.append(draft_id)
        if len(matches) == 1:
            log.info("EasyInk draft %s adopted after an interrupted send", matches[0])
            return matches[0]
        return None

    def _is_empty(self, draft_id: str) -> bool:
        draft = self._draft(draft_id)
        return not any(optional(draft, key, [], provider=self.name, kind=list)
                       for key in ("documents", "attachments", "participants"))

    def _draft(self, draft_id: str) -> dict:
        # Reference: "Get signing session draft" (SigningSessionConfiguration).
        return self._json("GET", "draft", values={"id": draft_id})

    def _uploaded(self, request, checkpoint, draft_id: str, documents, step: str) -> dict[str, str]:
        """Uploads each document once: our ref → EasyInk's id."""
        done = dict(checkpoint.get(step, {}))
        for document in documents:
            if document.ref in done:
                continue
            title = _title(document.name)
            remote_id = None
            if checkpoint.get("pending") == f"{step}:{document.ref}":
                remote_id = self._listed(draft_id, step, done, lambda item, title=title: item.get("title") == title)
            if remote_id is None:
                checkpoint.record("pending", f"{step}:{document.ref}")
                with open(document.path, "rb") as pdf:
                    files = {"fileContent": (f"{title}.pdf", pdf.read(), "application/pdf")}
                # Reference: "Upload document" / "Upload attachment" (multipart fileContent) → id.
                name = "draft_documents" if step == "documents" else "draft_attachments"
                remote_id = self._new_id("POST", name, "document", values={"id": draft_id}, files=files)
            done[document.ref] = remote_id
            checkpoint.record(step, dict(done))
        return done

    def _listed(self, draft_id: str, key: str, claimed: dict, matches) -> str | None:
        """The id of an item of the draft's `key` list that `matches` and no step has claimed yet:
        one a call made before its answer was lost."""
        listed = optional(self._draft(draft_id), key, [], provider=self.name, kind=list)
        taken = set(claimed.values())
        for item in listed:
            if isinstance(item, dict) and item.get("id") not in taken and matches(item):
                return required(item, "id", provider=self.name, where=key)
        return None

    def _wait_for_processing(self, draft_id: str) -> None:
        """EasyInk processes uploads asynchronously: wait (backing off) until each is ready; hand the
        send back to the queue when it takes longer."""
        waited, pause = 0.0, 1.0
        while True:
            draft = self._draft(draft_id)
            statuses = [
                optional(item, "status", "", provider=self.name, where=key)
                for key in ("documents", "attachments")
                for item in optional(draft, key, [], provider=self.name, kind=list)
            ]
            failed = [status for status in statuses if "fail" in status.lower()]
            if failed:
                raise ProviderError("EasyInk could not process a document; check that it opens, then send again.",
                                    permanent=True)
            if all(status == "ProcessingReady" for status in statuses):
                return
            if waited >= PROCESSING_WAIT:
                raise ProviderError("EasyInk is still processing the documents; Paraph will continue shortly.",
                                    retry_after=PROCESSING_RETRY)
            self.sleep(pause)
            waited += pause
            pause = min(pause * 2, PROCESSING_WAIT - waited) or 1.0

    def _participants(self, request: SendRequest, checkpoint: Checkpoint, draft_id: str) -> dict[str, str]:
        done = dict(checkpoint.get("participants", {}))
        for person in request.participants:
            if person.ref in done:
                continue
            body = drafts.participant_body(request, person)
            remote_id = None
            if checkpoint.get("pending") == f"participants:{person.ref}":
                remote_id = self._listed(draft_id, "participants", done, partial(_same_person, body=body))
            if remote_id is None:
                checkpoint.record("pending", f"participants:{person.ref}")
                # Reference: "Add participant" → the participant id as a bare JSON string.
                remote_id = self._new_id("POST", "draft_participants", "participant", values={"id": draft_id},
                                         json=body)
            done[person.ref] = remote_id
            checkpoint.record("participants", dict(done))
        return done

    def _fields(self, request, checkpoint, draft_id: str, documents: dict, people: dict) -> None:
        done = dict(checkpoint.get("fields", {}))
        for person in request.participants:
            for index, field in enumerate(person.fields):
                key = f"{person.ref}:{index}"
                if key in done:
                    continue
                body = drafts.field_body(field, people[person.ref], documents[field.document_ref])
                remote_id = None
                if checkpoint.get("pending") == f"fields:{key}":
                    remote_id = self._listed(draft_id, "signatureFields", done, partial(_same_field, body=body))
                if remote_id is None:
                    checkpoint.record("pending", f"fields:{key}")
                    # Reference: "Add signature field" → the field id as a bare JSON string.
                    remote_id = self._new_id("POST", "draft_fields", "signature field", values={"id": draft_id},
                                             json=body)
                done[key] = remote_id
                checkpoint.record("fields", dict(done))

    def _advance(self, checkpoint: Checkpoint, draft_id: str, step: str, call: str, before: tuple[str, ...]) -> None:
        """Convert or start, once: after a lost answer the session's status says whether it went through."""
        if checkpoint.done(step):
            return
        if checkpoint.get("pending") == step and self._status(draft_id) not in before:
            checkpoint.record(step, True)
            return
        checkpoint.record("pending", step)
        # Reference: "Convert draft to ready-to-start" / "Start signing session".
        self._call("POST", call, values={"id": draft_id})
        checkpoint.record(step, True)

    def _status(self, remote_id: str) -> str:
        return mapping.session_status(self._session(remote_id))

    def send_abandoned(self, checkpoint: Checkpoint) -> None:
        draft_id = checkpoint.get("draft")
        if draft_id and not checkpoint.done("converted"):
            self._abandon(checkpoint, draft_id)

    def _abandon(self, checkpoint: Checkpoint, draft_id: str) -> None:
        """A send refused for good leaves no draft behind at EasyInk, and starts afresh next time."""
        try:
            self.delete_remote(draft_id)
        except ProviderError as exc:
            log.warning("EasyInk draft %s of an abandoned send not deleted: %s", draft_id, exc.message)
            return
        checkpoint.data.clear()
        checkpoint.record("abandoned", draft_id)

    # --- Tracking ---------------------------------------------------------------------------------

    def _session(self, remote_id: str) -> dict:
        # Reference: "Get signing session" (SigningView).
        return self._json("GET", "session", values={"id": remote_id})

    def fetch(self, remote_id: str) -> RemoteSnapshot:
        return mapping.snapshot(self._session(remote_id), remote_id)

    # --- Changes ----------------------------------------------------------------------------------

    def void(self, remote_id: str, reason: str) -> None:
        """Irreversible. Raises a permanent ProviderError for a reason outside 1–1000 characters."""
        reason = reason.strip()
        if not 1 <= len(reason) <= MAX_REASON:
            raise ProviderError(f"EasyInk needs a reason of 1 to {MAX_REASON} characters to void.", permanent=True)
        # Reference: "Void signing session" (POST /api/signingSessions/{id}/voided {reason}).
        self._call("POST", "void", values={"id": remote_id}, json={"reason": reason})

    def recreate(self, remote_id: str, reason: str, subject: str | None = None) -> str:
        """EasyInk's recreate: a new draft copied from the session, the original voided with
        `reason`. Returns the new draft's id."""
        reason = reason.strip()
        if not 1 <= len(reason) <= MAX_REASON:
            raise ProviderError(f"EasyInk needs a reason of 1 to {MAX_REASON} characters to recreate.", permanent=True)
        # Reference: "Recreate signing session" → the new draft's id as a bare JSON string.
        return self._new_id("POST", "recreate", "draft", values={"id": remote_id},
                            json={"subject": subject, "voidReason": reason})

    def update_participant(self, remote_id: str, participant: ParticipantSpec) -> str:
        """New contact details for someone who has not opened the link (EasyInk refuses after,
        with its reason). Returns the participant's id, which does not change."""
        methods = drafts.DELIVERY.get(participant.delivery)
        if methods is None:
            raise ProviderError("EasyInk delivers by e-mail or SMS; choose one of those.", permanent=True)
        phone = drafts.phone_number(participant.phone) if participant.phone else None
        if "Sms" in methods and not drafts.PHONE.match(phone or ""):
            raise ProviderError(f"EasyInk takes 10-digit phone numbers (like 2025551234); {participant.phone or 'none'}"
                                " is not one.", permanent=True)
        body = {"deliveryMethods": methods, "email": participant.email or None, "phone": phone}
        # Reference: "Update participant delivery in active session".
        self._call("PUT", "participant_contact", values={"id": remote_id, "participant": participant.remote_id},
                   json=body)
        return participant.remote_id

    def download_signed(self, remote_id: str) -> list[SignedFile]:
        """The all-in-one PDF (every signature and the audit trail) first, then each signed copy.
        Processing still running is a transient error (Paraph tries again)."""
        view = self._session(remote_id)
        if mapping.session_status(view) != "Finished" or not mapping.outputs_ready(view):
            raise ProviderError("EasyInk is still preparing the signed PDFs; Paraph will try again.", retry_after=300)
        # Reference: "Download all-in-one document".
        files = [SignedFile(name=f"{remote_id}-all-in-one.pdf", content=self._pdf("all_in_one", {"id": remote_id}))]
        for document_id, title, _status in mapping.signed_documents(view):
            # Reference: "Download signed document".
            content = self._pdf("signed_document", {"id": remote_id, "document": document_id})
            files.append(SignedFile(name=_filename(title, document_id), content=content))
        return files

    def _pdf(self, name: str, values: dict) -> bytes:
        content = self._call("GET", name, values=values, headers={"Accept": "application/pdf"}).content
        if not content.startswith(b"%PDF"):
            raise ProviderError("EasyInk did not return a PDF; Paraph will try again.", retry_after=300)
        return content

    def delete_remote(self, remote_id: str) -> None:
        """Deletes a draft (already gone is fine). EasyInk keeps started sessions: refused, in words."""
        # Reference: "Delete signing session draft".
        response = self.http.request("DELETE", path("draft", id=remote_id), expect=REFUSED)
        if response.status_code == 404 or response.status_code < 400:
            return
        raise refusal(response)


def refusal(response: requests.Response) -> ProviderError:
    """EasyInk's ApiError ({"error": {"code", "message", "innerErrors"}}) as a sentence. "Document
    processing is in progress" is a wait, not an error."""
    message = error_message(response)
    status = response.status_code
    if PROCESSING.lower() in message.lower():
        return ProviderError("EasyInk is still processing a document; Paraph will try again shortly.",
                             retry_after=PROCESSING_RETRY)
    if status == 404:
        return ProviderError(f"EasyInk does not know this signing session (404){': ' + message if message else ''}.",
                             permanent=True)
    return ProviderError(f"EasyInk refused the request: {message or status}.", permanent=True)


def error_message(response: requests.Response) -> str:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    if not isinstance(error, dict):
        return ""
    parts = [str(error.get("message") or "").strip().rstrip(".")]
    for inner in error.get("innerErrors") or []:
        if isinstance(inner, dict) and inner.get("message"):
            parts.append(str(inner["message"]).strip().rstrip("."))
    return "; ".join(part for part in parts if part)[:500]


def token_claims(token: str) -> dict:
    """The payload of a JWT, unverified: Paraph only reads who it is for (the token is EasyInk's
    to check)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


def _title(name: str) -> str:
    return name[:-4] if name.lower().endswith(".pdf") else name


def _filename(title: str, fallback: str) -> str:
    name = title or fallback
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


def _same_person(item: dict, body: dict) -> bool:
    return all(item.get(key) == body[key] for key in ("firstName", "lastName", "email"))


def _same_field(item: dict, body: dict) -> bool:
    return (item.get("participantId") == body["participantId"] and item.get("documentId") == body["documentId"]
            and item.get("placement") == body["field"]["placement"])
