"""Documents (signature requests): creation, their states, the signed file and field values.

Reference: Formify API docs, "docs" (POST/GET /docs, GET/DELETE /docs/{documentId},
PUT /docs/{documentId}/revoke, GET /docs/{documentId}/signed-file, GET .../fields,
GET .../field-values).
A document is `awaiting_signatures` once created (`processing` first when the AI assistant is
enabled, until `finish_processing`). A deleted document still answers GET /docs/{id} with
status `deleted`; every other call about it is a 404.
"""

from __future__ import annotations

import copy
import secrets

from tests.fakes.formify import signees
from tests.fakes.formify.files import FileStore
from tests.fakes.formify.state import ApiError, FormifyState, new_id
from tests.fakes.formify.validation import check_document_request, invalid
from tests.fakes.formify.webhooks import Webhooks

DOWNLOAD_LIFETIME = 600
MAX_PAGE = 50
DEFAULT_PAGE = 20  # the reference names no default limit (assumption 6)
# Reference: "GET /docs/{documentId}" → Response (200): exactly these fields, and no documentId.
DOCUMENT_FIELDS = (
    "name",
    "createdAt",
    "updatedAt",
    "completedAt",
    "revokedAt",
    "expiryDate",
    "status",
    "aiAssistant",
    "formifyTransactionId",
    "language",
    "enableSigningOrder",
    "signeeDetails",
    "userId",
    "fileId",
    "documentUrl",
    "templateId",
)
# Reference: "GET /docs" → Response (200) → documents[].
LISTED_FIELDS = ("documentId", "name", "createdAt", "status", "userId")
# The states each action is allowed in (else 403 with the sentence).
ALLOWED = {
    "remind": ({"awaiting_signatures"}, "Reminders need a document awaiting signatures."),
    "update": ({"awaiting_signatures", "processing"}, "Signees of a completed or revoked document cannot change."),
    "revoke": ({"awaiting_signatures", "processing"}, "Only a document not yet fully signed can be revoked."),
    "delete": ({"completed", "revoked"}, "Only completed or revoked documents can be deleted."),
    "signed_file": ({"completed"}, "The signed file exists once every signee has signed."),
    "field_values": ({"completed"}, "Field values are available once the document is completed."),
    "sign": ({"awaiting_signatures"}, "Only a document awaiting signatures can be opened or signed."),
    "finish_processing": ({"processing"}, "Only a processing document can finish processing."),
}


class DocumentStore:
    def __init__(self, state: FormifyState, files: FileStore, webhooks: Webhooks):
        self.state = state
        self.files = files
        self.webhooks = webhooks
        self.downloads: dict[str, dict] = {}  # one-time token -> {document_id, expires_at}

    # -- the API ----------------------------------------------------------------------------

    def create(self, body) -> dict:
        """POST /docs: the 201 body. ApiError 400 for a bad body, 404 for an unknown file or template."""
        if not isinstance(body, dict):
            raise invalid("The body must be a JSON object.")
        if body.get("fileId") and body.get("templateId"):
            raise invalid("Provide either fileId or templateId, not both.")
        if body.get("templateId"):
            raise ApiError(404, "template_not_found", f"No template with id {body['templateId']}.")
        if not body.get("fileId"):
            raise invalid("Provide a fileId (or a templateId).")
        with self.state.lock:
            file = self.files.get(body["fileId"])
            check_document_request(body, file)
            owner = body.get("userId", self.state.account["userId"])
            if owner != self.state.account["userId"]:
                raise invalid(f"userId {owner} is not a user on this account.")
            document = self._new_document(body, file, owner)
            queued = self.webhooks.queue("document.created", document)
        # Sent before the 201 goes out, so a receiver may hear of a document its sender has not stored yet.
        self.webhooks.send(queued)
        created = {key: document[key] for key in ("documentId", "name", "createdAt", "userId", "documentUrl")}
        return {**created, "status": "processing" if document["status"] == "processing" else "created"}

    def listing(self, query: dict[str, str]) -> dict:
        limit, offset = _whole(query, "limit", DEFAULT_PAGE), _whole(query, "offset", 0)
        if not 1 <= limit <= MAX_PAGE:
            raise invalid(f"limit must be between 1 and {MAX_PAGE}.")
        with self.state.lock:
            listed = list(self.state.documents.values())
            if self.state.list_order == "newest_first":
                listed.reverse()
        page = listed[offset : offset + limit]
        return {
            "limit": limit,
            "offset": offset,
            "nextOffset": offset + limit if offset + limit < len(listed) else None,
            "documents": [{key: document[key] for key in LISTED_FIELDS} for document in page],
        }

    def view(self, document_id: str) -> dict:
        """GET /docs/{id}: the stored document without internals, cooldowns as of now."""
        with self.state.lock:
            document = self.get(document_id, deleted_ok=True)
            public = {key: document[key] for key in DOCUMENT_FIELDS if key in document}
            public["signeeDetails"] = [signees.signee_view(s, self.state.now()) for s in document["signeeDetails"]]
            return copy.deepcopy(public)

    def form_fields(self, document_id: str) -> list[dict]:
        with self.state.lock:
            return copy.deepcopy(self.state.files[self.get(document_id)["fileId"]]["fields"])

    def remind(self, document_id: str, body) -> dict:
        with self.state.lock:
            document = self._allowing(document_id, "remind")
            return signees.remind(self.state, document, body.get("signeeIds") if isinstance(body, dict) else None)

    def update_signees(self, document_id: str, body) -> dict | list[dict]:
        """PATCH /docs/{id}/signature-field: one result object, or a list when several signees changed."""
        with self.state.lock:
            document = self._allowing(document_id, "update")
            results = signees.update_contacts(self.state, document, body)
            document["updatedAt"] = self.state.iso()
        return results[0] if len(results) == 1 else results

    def revoke(self, document_id: str) -> dict:
        """PUT /docs/{id}/revoke, and the owner's revoke in the app: any time before completion."""
        with self.state.lock:
            document = self._allowing(document_id, "revoke")
            self._set_status(document, "revoked", "revokedAt")
            queued = self.webhooks.queue("document.revoked", document)
        self.webhooks.send(queued)
        return {"documentId": document_id}

    def delete(self, document_id: str) -> None:
        """DELETE /docs/{id}: only completed or revoked; the file goes too unless another document uses it."""
        with self.state.lock:
            document = self._allowing(document_id, "delete")
            self._set_status(document, "deleted")
            file_id = document["fileId"]
            if not any(d["fileId"] == file_id and d["status"] != "deleted" for d in self.state.documents.values()):
                self.state.files[file_id]["deleted"] = True
            queued = self.webhooks.queue("document.deleted", document)
        self.webhooks.send(queued)

    def signed_file_url(self, document_id: str) -> str:
        """GET /docs/{id}/signed-file: a one-time URL on this server, valid 10 minutes."""
        with self.state.lock:
            self._allowing(document_id, "signed_file")
            token = secrets.token_urlsafe(24)
            self.downloads[token] = {"document_id": document_id, "expires_at": self.state.now() + DOWNLOAD_LIFETIME}
        return f"{self.state.base_url}/download/{token}"

    def download(self, token: str) -> tuple[str, bytes]:
        """The file behind a one-time URL: (file name, PDF bytes). ApiError 403 once used or expired."""
        with self.state.lock:
            ticket = self.downloads.pop(token, None)
            if ticket is None or ticket["expires_at"] <= self.state.now():
                raise ApiError(403, "access_denied", "This download link has expired or was already used.")
            document = self.state.documents[ticket["document_id"]]
            return f"{document['name']}.pdf", self.state.files[document["fileId"]]["content"]

    def field_values(self, document_id: str) -> list[dict]:
        with self.state.lock:
            document = self._allowing(document_id, "field_values")
            values = document["_fieldValues"].items()
            return [{"name": name, "value": list(value)} for name, value in values if any(value)]

    # -- what signees and the owner do in Formify's app (the control API) --------------------

    def open(self, document_id: str, signee_id: str) -> None:
        with self.state.lock:
            document, signee = self._signee_with_turn(document_id, signee_id)
            signee["_openedAt"] = self.state.now()
            queued = self.webhooks.queue("document.opened", document)
        self.webhooks.send(queued)

    def sign(self, document_id: str, signee_id: str) -> None:
        with self.state.lock:
            document, signee = self._signee_with_turn(document_id, signee_id)
            signee.update(signatureStatus="signed", signedAt=self.state.iso())
            document["updatedAt"] = self.state.iso()
            queued = self.webhooks.queue("document.signed", document, signee_id)
            if all(s["signatureStatus"] == "signed" for s in document["signeeDetails"]):
                self._set_status(document, "completed", "completedAt")
                queued += self.webhooks.queue("document.completed", document)
        self.webhooks.send(queued)

    def add(self, name: str, emails: list[str], *, age: float = 0.0) -> str:
        """A document someone sent from Formify's app `age` seconds ago (no webhooks)."""
        file_id = self.files.blank(f"{name}.pdf")
        with self.state.lock:
            signees = [{"fullName": email.split("@")[0], "emailAddress": email} for email in emails]
            body = {"name": name, "signeeDetails": signees}
            document = self._new_document(body, self.state.files[file_id], self.state.account["userId"])
            created = self.state.iso(self.state.now() - age)
            document.update(createdAt=created, updatedAt=created)
            return document["documentId"]

    def finish_processing(self, document_id: str) -> None:
        with self.state.lock:
            document = self._allowing(document_id, "finish_processing")
            self._set_status(document, "awaiting_signatures")
            document["documentUrl"] = self._document_url(document_id)

    def set_field_values(self, document_id: str, values: list[dict]) -> None:
        with self.state.lock:
            document = self.get(document_id)
            document["_fieldValues"].update({item["name"]: _as_list(item["value"]) for item in values})

    def signee_id(self, document_id: str, contact: str) -> str:
        with self.state.lock:
            for signee in self.get(document_id)["signeeDetails"]:
                if contact.lower() in ((signee["emailAddress"] or "").lower(), signee["phoneNumber"]):
                    return signee["signeeId"]
        raise ApiError(404, "signee_not_found", f"No signee with contact {contact} on document {document_id}.")

    # -- shared -----------------------------------------------------------------------------

    def get(self, document_id: str, *, deleted_ok: bool = False) -> dict:
        document = self.state.documents.get(document_id)
        if document is None or (document["status"] == "deleted" and not deleted_ok):
            raise ApiError(404, "document_not_found", f"No document with id {document_id}.")
        return document

    def _allowing(self, document_id: str, action: str) -> dict:
        """The document, when its state allows `action`; ApiError 403 otherwise."""
        document = self.get(document_id)
        allowed, message = ALLOWED[action]
        if document["status"] not in allowed:
            raise ApiError(403, "forbidden", f"{message} This one is {document['status']}.")
        return document

    def _signee_with_turn(self, document_id: str, signee_id: str) -> tuple[dict, dict]:
        document = self._allowing(document_id, "sign")
        signee = signees.find_signee(document, signee_id)
        if signee is None or signee["signatureStatus"] == "signed":
            raise ApiError(403, "forbidden", f"Signee {signee_id} is not a current signee who still has to sign.")
        if not signees.has_turn(document, signee):
            raise ApiError(403, "forbidden", f"It is not signee {signee_id}'s turn: earlier signees have not signed.")
        return document, signee

    def _set_status(self, document: dict, status: str, stamp_key: str | None = None) -> None:
        document["status"] = status
        document["updatedAt"] = self.state.iso()
        if stamp_key:
            document[stamp_key] = document["updatedAt"]

    def _new_document(self, body: dict, file: dict, owner: str) -> dict:
        document_id = new_id()
        ai = body.get("aiAssistant", {})
        processing = ai.get("enabled", False)
        now = self.state.iso()
        document = {
            "documentId": document_id,
            "name": body.get("name") or file["name"],
            "createdAt": now,
            "updatedAt": now,
            "completedAt": None,
            "revokedAt": None,
            "expiryDate": None,
            "status": "processing" if processing else "awaiting_signatures",
            "formifyTransactionId": new_id(),
            "language": body.get("language", "en"),
            "enableSigningOrder": body.get("enableSigningOrder", False),
            "signeeDetails": [signees.new_signee(details) for details in body["signeeDetails"]],
            "userId": owner,
            "fileId": file["fileId"],
            "documentUrl": None if processing else self._document_url(document_id),
            "templateId": None,
            "_fieldValues": {field["name"]: _as_list(field["value"]) for field in body.get("fields", [])},
            "_fieldsReadonlyMode": body.get("fieldsReadonlyMode", "keepOriginal"),
            "_sharingSetting": body.get("sharingSetting", "private"),
            "_personalMessage": body.get("personalMessage"),
        }
        if processing:
            document["aiAssistant"] = {"enabled": True, "textToSpeech": False, "language": "en", **ai}
        self.state.documents[document_id] = document
        return document

    def _document_url(self, document_id: str) -> str:
        return f"{self.state.base_url}/app/#/documents/{document_id}"


def _as_list(value) -> list[str]:
    # Field values are always lists of strings in field-values, whatever shape was pre-filled.
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def _whole(query: dict[str, str], key: str, default: int) -> int:
    try:
        value = int(query.get(key, default))
    except ValueError:
        raise invalid(f"{key} must be a whole number.") from None
    if value < 0:
        raise invalid(f"{key} must not be negative.")
    return value
