"""EasyInk's signing sessions: drafts built call by call, asynchronous document processing,
session states, void, recreate, contact changes and downloads, with the reference's validations
and error texts. See the package docstring for the assumptions (numbers in brackets below).

Reference: EasyInk Public API (shared/reference/seeds/004_d3e133b77da8cb7a.txt).
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime

from pypdf import PdfReader, PdfWriter

from tests.fakes.base import Incoming, Reply, json_reply

PHONE = re.compile(r"^\d{10}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DELIVERY = {"Email", "Sms"}
LANGUAGES = {"English", "Spanish"}
REMINDERS = {"Never", "Daily", "Weekly"}
ACTIVE = {"Pending", "InProgress"}
PROCESSING_IN_PROGRESS = "Document processing is in progress. Try again later."


class ApiError(Exception):
    """An answer in EasyInk's ApiError shape: {"error": {"code", "message", "innerErrors"}}."""

    CODES = {400: "ValidationError", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound"}

    def __init__(self, status: int, message: str, inner: list[dict] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.inner = inner

    def reply(self) -> Reply:
        return error_reply(self.status, self.message, self.inner)


def error_reply(status: int, message: str, inner: list[dict] | None = None) -> Reply:
    code = ApiError.CODES.get(status, "InternalServerError" if status >= 500 else "ValidationError")
    error = {"code": code, "message": message}
    if inner:
        error["innerErrors"] = inner
    return json_reply(status, {"error": error})


def new_id() -> str:
    return str(uuid.uuid4())


def _id_reply(value: str) -> Reply:
    return json_reply(200, value)  # a bare JSON string, as the reference shows


def _field_errors(problems: list[tuple[str, str]]) -> ApiError:
    inner = [{"code": code, "message": message} for code, message in problems]
    return ApiError(400, "Validation failed for one or more fields", inner)


class Sessions:
    def __init__(self, fake):
        self.fake = fake
        self.sessions: dict[str, dict] = {}

    # -- lookups ------------------------------------------------------------------------------

    def draft(self, session_id: str) -> dict:
        session = self.sessions.get(session_id)
        if session is None or session["deleted"] or session["status"] != "Draft":
            raise ApiError(404, "Signing session draft does not exists")
        return session

    def session(self, session_id: str) -> dict:
        session = self.sessions.get(session_id)
        if session is None or session["deleted"]:
            raise ApiError(404, "Signing session does not exist")
        return session

    def _ready(self, document: dict) -> bool:
        return self.fake.now() >= document["ready_at"]

    # -- drafts -------------------------------------------------------------------------------

    def create(self, incoming: Incoming) -> Reply:
        body = _json_object(incoming)
        subject = body.get("subject")
        _check_subject(subject)
        session_id = new_id()
        self.sessions[session_id] = {
            "id": session_id, "subject": subject, "status": "Draft", "deleted": False,
            "created": self.fake.now(), "documents": [], "attachments": [], "participants": [],
            "fields": [], "order": {"type": "AllAtOnce", "participantsOrder": None},
            "reminderFrequency": "Never", "voidReason": None, "recreatedFrom": None,
        }
        return _id_reply(session_id)

    def upload(self, incoming: Incoming, kind: str) -> Reply:
        session = self.draft(incoming.params["session_id"])
        filename, content = _multipart_file(incoming, "fileContent")
        pages = _pdf_pages(content) if content.startswith(b"%PDF") else None
        if pages is None and not _is_word(content):
            raise ApiError(400, "Only PDF and Word documents are supported")  # [6]
        document = {
            "id": new_id(), "title": filename.rsplit(".", 1)[0], "content": content, "pages": pages or [],
            "ready_at": self.fake.now() + self.fake.processing_delay,
        }
        session["documents" if kind == "document" else "attachments"].append(document)
        return _id_reply(document["id"])

    def add_participant(self, incoming: Incoming) -> Reply:
        session = self.draft(incoming.params["session_id"])
        body = _json_object(incoming)
        _check_participant(body)
        participant = {
            "id": new_id(), "firstName": body.get("firstName"), "middleName": body.get("middleName"),
            "lastName": body.get("lastName"), "email": body.get("email"), "phone": body.get("phone"),
            "deliveryMethods": list(body.get("deliveryMethods") or []),
            "language": body.get("language") or "English", "role": "Signer",
            "status": "Draft", "signedAt": None, "usedLink": False,
        }
        session["participants"].append(participant)
        return _id_reply(participant["id"])

    def add_field(self, incoming: Incoming) -> Reply:
        session = self.draft(incoming.params["session_id"])
        body = _json_object(incoming)
        participant_id, document_id = body.get("participantId"), body.get("documentId")
        if not any(p["id"] == participant_id for p in session["participants"]):
            raise ApiError(400, "Participant Id is required" if not participant_id else "Participant not found")
        document = next((d for d in session["documents"] if d["id"] == document_id), None)
        if document is None:
            raise ApiError(400, f"Document '{document_id}' not found")
        if not self._ready(document):
            raise ApiError(400, PROCESSING_IN_PROGRESS)  # [5]
        field = body.get("field") if isinstance(body.get("field"), dict) else {}
        if field.get("type") != "Signature":
            raise ApiError(400, "Field type is not supported")  # [8]
        placement = field.get("placement") if isinstance(field.get("placement"), dict) else {}
        _check_placement(placement, document)
        options = field.get("options") if isinstance(field.get("options"), dict) else {}
        if options.get("forType", field["type"]) != field["type"]:
            raise ApiError(400, "Field options must target the field type")
        field_id = new_id()
        session["fields"].append({
            "id": field_id, "participantId": participant_id, "documentId": document_id, "type": field["type"],
            "placement": {key: placement[key] for key in ("page", "positionX", "positionY", "sizeX", "sizeY")},
            "options": {"isRequired": bool(options.get("isRequired", False)), "forType": field["type"]},
        })
        return _id_reply(field_id)

    def one_by_one(self, incoming: Incoming) -> Reply:
        session = self.draft(incoming.params["session_id"])
        order = _json_object(incoming).get("participantsOrder")
        if not isinstance(order, list) or not order:
            raise ApiError(400, "Participants order is required")
        known = [p["id"] for p in session["participants"]]
        unknown = [pid for pid in order if pid not in known]
        if unknown:
            raise ApiError(400, f"Unknown participants in signing order definition: {', '.join(map(str, unknown))}")
        missed = [pid for pid in known if pid not in order]
        if missed:
            raise ApiError(400, f"There are some participants missed in signing order definition: {', '.join(missed)}")
        session["order"] = {"type": "OneByOne", "participantsOrder": list(order)}
        return Reply(200)

    def all_at_once(self, incoming: Incoming) -> Reply:
        session = self.draft(incoming.params["session_id"])
        session["order"] = {"type": "AllAtOnce", "participantsOrder": None}
        return Reply(200)

    def parameters(self, incoming: Incoming) -> Reply:
        session = self.draft(incoming.params["session_id"])
        body = _json_object(incoming)
        _check_subject(body.get("subject"))
        frequency = body.get("reminderFrequency")
        if frequency is not None and frequency not in REMINDERS:
            raise _field_errors([("InvalidValue", f"'{frequency}' is not a valid reminder frequency")])
        session["subject"] = body.get("subject")
        if frequency is not None:
            session["reminderFrequency"] = frequency
        return Reply(200)

    def draft_details(self, incoming: Incoming) -> Reply:
        session = self.draft(incoming.params["session_id"])
        return json_reply(200, self.configuration(session))

    def configuration(self, session: dict) -> dict:
        """GET of a draft: SigningSessionConfiguration, with only the fields the reference lists."""
        return {
            "signingSessionId": session["id"], "organizationId": self.fake.organization_id,
            "settingsSetId": self.fake.settings_set_id, "initiatorUserId": self.fake.user_id,
            "timestampFormat": "Usa", "isBulkSession": False, "isLocked": False, "isVoidDisabled": False,
            "isSessionCopyDisabled": False, "isValidBulkParticipant": None, "subject": session["subject"],
            "documents": [
                {"id": d["id"], "title": d["title"], "blobId": d["id"],
                 "status": "ProcessingReady" if self._ready(d) else "Processing", "pages": []}
                for d in session["documents"]
            ],
            "attachments": [
                {"id": a["id"], "title": a["title"], "status": "ProcessingReady" if self._ready(a) else "Processing"}
                for a in session["attachments"]
            ],
            "participants": [
                {"id": p["id"], "firstName": p["firstName"], "lastName": p["lastName"], "email": p["email"],
                 "role": p["role"], "language": p["language"]}
                for p in session["participants"]
            ],
            "bulkParticipants": None,
            "signatureFields": [
                {"id": f["id"], "participantId": f["participantId"], "documentId": f["documentId"],
                 "type": f["type"], "placement": f["placement"], "options": f["options"]}
                for f in session["fields"]
            ],
            "pageLabels": [],
            "reminderFrequency": session["reminderFrequency"],
            "signingOrderSettings": dict(session["order"]),
        }

    def delete_draft(self, incoming: Incoming) -> Reply:
        session = self.sessions.get(incoming.params["session_id"])
        if session is None or session["deleted"]:
            raise ApiError(404, "Signing session draft does not exists")
        if session["status"] != "Draft":
            raise ApiError(400, "Signing session draft is locked and cannot be removed")
        session["deleted"] = True
        return Reply(204)

    def convert(self, incoming: Incoming) -> Reply:
        session = self.draft(incoming.params["session_id"])
        if any(not self._ready(d) for d in session["documents"] + session["attachments"]):
            raise ApiError(400, PROCESSING_IN_PROGRESS)
        people = session["participants"]
        signing = {f["participantId"] for f in session["fields"]}
        if not session["documents"] or not people or any(p["id"] not in signing for p in people):
            raise ApiError(400, "Session configuration is invalid. Check that all documents, participants, and "
                                "fields are configured.")
        session["status"] = "ReadyToStart"
        return Reply(200)

    def start(self, incoming: Incoming) -> Reply:
        session = self.session(incoming.params["session_id"])
        if not session["documents"]:
            raise ApiError(400, "Session must have at least one document before starting")
        if session["status"] != "ReadyToStart":
            raise ApiError(400, f"Signing session in status {session['status']} cannot be started")  # [9]
        session["status"] = "Pending"
        for participant in self.turn(session):
            participant["status"] = "Invited"
        for participant in session["participants"]:
            if participant["status"] == "Draft":
                participant["status"] = "Waiting"
        return Reply(200)

    def turn(self, session: dict) -> list[dict]:
        """Who may sign now: everyone unsigned at once, or the first unsigned in the order."""
        unsigned = [p for p in session["participants"] if p["status"] not in ("Signed", "Declined")]
        if session["order"]["type"] != "OneByOne":
            return unsigned
        by_id = {p["id"]: p for p in unsigned}
        ordered = [by_id[pid] for pid in session["order"]["participantsOrder"] if pid in by_id]
        return ordered[:1]

    # -- active sessions ----------------------------------------------------------------------

    def details(self, incoming: Incoming) -> Reply:
        session = self.session(incoming.params["session_id"])
        return json_reply(200, self.view(session))

    def exists(self, incoming: Incoming) -> Reply:
        self.session(incoming.params["session_id"])
        return Reply(200)

    def view(self, session: dict) -> dict:
        """GET of a session: SigningView, with only the fields the reference lists."""
        now = self.fake.now()
        finished = session["status"] == "Finished"
        return {
            "signingSessionId": session["id"], "bulkSessionId": None, "subject": session["subject"],
            "canBeVoided": session["status"] in ACTIVE, "canBeCopied": session["status"] not in ("Voided", "Expired"),
            "status": session["status"],
            "documents": [{"documentId": d["id"], "title": d["title"]} for d in session["documents"]],
            "participants": [
                {"participantId": p["id"], "firstName": p["firstName"], "lastName": p["lastName"],
                 "email": p["email"], "role": p["role"], "status": p["status"], "signedAt": p["signedAt"]}
                for p in session["participants"]
            ],
            "signedDocuments": [
                {"signedDocumentId": s["id"], "title": s["title"],
                 "processingStatus": "Ready" if now >= s["ready_at"] else "Processing"}
                for s in session.get("signed", [])
            ],
            "attachments": [{"attachmentId": a["id"], "title": a["title"]} for a in session["attachments"]],
            "allInOneDocument": (
                {"title": f"{session['subject'] or 'Signing session'} - All Signatures.pdf",
                 "status": "Ready" if now >= session["all_in_one_ready_at"] else "Processing"}
                if finished else None
            ),
        }

    def void(self, incoming: Incoming) -> Reply:
        session = self.session(incoming.params["session_id"])
        reason = _json_object(incoming).get("reason")
        _check_reason(reason, "Voiding reason is required")
        self._void(session, reason)
        return Reply(200)

    def _void(self, session: dict, reason: str) -> None:
        if session["status"] not in ACTIVE:
            raise ApiError(400, f"Signing session in status {session['status']} cannot be voided")  # [9]
        session["status"] = "Voided"
        session["voidReason"] = reason

    def recreate(self, incoming: Incoming) -> Reply:
        session = self.session(incoming.params["session_id"])
        body = _json_object(incoming)
        _check_subject(body.get("subject"))
        _check_reason(body.get("voidReason"), "Void reason is required")
        if session["status"] not in ACTIVE | {"Declined"}:
            raise ApiError(400, f"Signing session in status {session['status']} cannot be recreated")  # [10]
        copy = self._copy(session, body.get("subject") or session["subject"])
        if session["status"] in ACTIVE:
            self._void(session, body["voidReason"])
        return _id_reply(copy["id"])

    def _copy(self, session: dict, subject: str | None) -> dict:
        """A new draft with the documents, attachments, participants, fields, order and reminders."""
        copy_id = new_id()
        participants = {p["id"]: {**p, "id": new_id(), "status": "Draft", "signedAt": None, "usedLink": False}
                        for p in session["participants"]}
        documents = {d["id"]: {**d, "id": new_id()} for d in session["documents"]}
        order = dict(session["order"])
        if order["participantsOrder"]:
            order["participantsOrder"] = [participants[pid]["id"] for pid in order["participantsOrder"]]
        self.sessions[copy_id] = {
            **session, "id": copy_id, "subject": subject, "status": "Draft", "created": self.fake.now(),
            "documents": list(documents.values()), "participants": list(participants.values()),
            "attachments": [{**a, "id": new_id()} for a in session["attachments"]],
            "fields": [{**f, "id": new_id(), "participantId": participants[f["participantId"]]["id"],
                        "documentId": documents[f["documentId"]]["id"]} for f in session["fields"]],
            "order": order, "voidReason": None, "recreatedFrom": session["id"], "signed": [],
        }
        return self.sessions[copy_id]

    def contact(self, incoming: Incoming) -> Reply:
        session = self.session(incoming.params["session_id"])
        if session["status"] not in ACTIVE:
            raise ApiError(400, f"Signing session in status {session['status']} cannot be changed")
        participant = next((p for p in session["participants"] if p["id"] == incoming.params["participant_id"]), None)
        if participant is None:
            raise ApiError(404, "Participant not found")
        body = _json_object(incoming)
        _check_contact(body, required_delivery=False)
        if participant["usedLink"]:
            raise ApiError(400, "Delivery method can't be changed because the participant has already used the "
                                "signing link")
        for key in ("deliveryMethods", "email", "phone"):
            if key in body:
                participant[key] = body[key]
        return Reply(200)

    # -- downloads ----------------------------------------------------------------------------

    def signed_document(self, incoming: Incoming) -> Reply:
        session = self.session(incoming.params["session_id"])
        signed = next((s for s in session.get("signed", []) if s["id"] == incoming.params["document_id"]), None)
        if signed is None:
            raise ApiError(400, "Signed document is not available until participant completes signing")
        if self.fake.now() < signed["ready_at"]:
            raise ApiError(400, PROCESSING_IN_PROGRESS)
        return _pdf_reply(signed["title"], signed["content"])

    def all_in_one(self, incoming: Incoming) -> Reply:
        session = self.session(incoming.params["session_id"])
        if session["status"] != "Finished":
            raise ApiError(400, "All-in-one document is available only for finished signing sessions")  # [11]
        if self.fake.now() < session["all_in_one_ready_at"]:
            raise ApiError(400, PROCESSING_IN_PROGRESS)
        parts = [s["content"] for s in session["signed"]] + [_text_pdf(b"Audit trail " + session["id"].encode())]
        return _pdf_reply(f"{session['subject'] or 'session'} - All Signatures.pdf", _merge(parts))

    def statistics(self, incoming: Incoming) -> Reply:
        live = [s for s in self.sessions.values() if not s["deleted"]]

        def count(*statuses):
            return sum(1 for s in live if s["status"] in statuses)

        return json_reply(200, {
            "sessionsToSignCount": 0, "draftsCount": count("Draft"), "readyToStartCount": count("ReadyToStart"),
            "inProgressCount": count("InProgress", "Pending"), "needsActionCount": count("Declined"),
        })

    def search(self, incoming: Incoming) -> Reply:
        try:
            index = int(incoming.query.get("pageIndex", 0))
            size = int(incoming.query.get("pageSize", 20))
        except ValueError:
            raise _field_errors([("InvalidValue", "pageIndex and pageSize must be integers")]) from None
        if index < 0 or not 1 <= size <= 100:
            raise _field_errors([("OutOfRange", "pageSize must be between 1 and 100")])
        statuses = set(_query_list(incoming, "statuses"))
        found = [s for s in self.sessions.values() if not s["deleted"] and (not statuses or s["status"] in statuses)]
        found.sort(key=lambda s: s["created"], reverse=True)
        page = found[index * size:(index + 1) * size]
        return json_reply(200, {
            "items": [
                {"id": s["id"], "isBulk": False, "subject": s["subject"], "created": _iso(s["created"]),
                 "status": s["status"], "currentUserNeedToSign": False, "hasNotificationErrors": False,
                 "canBeDeleted": s["status"] == "Draft"}
                for s in page
            ],
            "totalItemsCount": len(found), "pagesCount": -(-len(found) // size), "pageIndex": index,
            "pageSize": size,
        })

    # -- what participants do (controls) ------------------------------------------------------

    def open(self, session_id: str, participant_id: str) -> None:
        session, participant = self._participant_acting(session_id, participant_id)
        participant["usedLink"] = True
        if participant["status"] == "Invited":
            participant["status"] = "Opened"

    def sign(self, session_id: str, participant_id: str) -> None:
        session, participant = self._participant_acting(session_id, participant_id)
        now = self.fake.now()
        participant.update(status="Signed", signedAt=_iso(now), usedLink=True)
        session["status"] = "InProgress"
        session.setdefault("signed", [])
        name = " ".join(filter(None, (participant["firstName"], participant["lastName"])))
        for document in session["documents"]:
            session["signed"].append({
                "id": new_id(), "participantId": participant_id, "title": f"{document['title']} - {name} (Signed).pdf",
                "content": _stamped(document["content"], f"Signed by {name}"),
                "ready_at": now + self.fake.signed_processing_delay,
            })
        waiting = [p for p in session["participants"] if p["status"] != "Signed"]
        if not waiting:
            session["status"] = "Finished"
            session["all_in_one_ready_at"] = now + self.fake.signed_processing_delay
            return
        for person in self.turn(session):
            if person["status"] == "Waiting":
                person["status"] = "Invited"

    def decline(self, session_id: str, participant_id: str) -> None:
        session, participant = self._participant_acting(session_id, participant_id)
        participant.update(status="Declined", usedLink=True)
        session["status"] = "Declined"

    def _participant_acting(self, session_id: str, participant_id: str) -> tuple[dict, dict]:
        session = self.session(session_id)
        if session["status"] not in ACTIVE:
            raise ApiError(400, f"The session is {session['status']}.")
        participant = next((p for p in session["participants"] if p["id"] == participant_id), None)
        if participant is None or participant not in self.turn(session):
            raise ApiError(400, "It is not this participant's turn to sign.")
        return session, participant


# -- validation -------------------------------------------------------------------------------


def _json_object(incoming: Incoming) -> dict:
    try:
        body = incoming.json()
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be an object")
    return body


def _check_subject(subject) -> None:
    if subject is not None and (not isinstance(subject, str) or len(subject) > 500):
        raise ApiError(400, "Subject cannot exceed 500 characters")


def _check_reason(reason, message: str) -> None:
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError(400, message)
    if len(reason) > 1000:
        raise ApiError(400, "Reason cannot exceed 1000 characters")  # [12]


def _check_participant(body: dict) -> None:
    problems = []
    for key, low in (("firstName", 1), ("lastName", 1), ("middleName", 0)):
        value = body.get(key)
        if value is None and low == 0:
            continue
        if not isinstance(value, str) or not low <= len(value) <= 100:
            problems.append(("InvalidLength" if value else "RequiredField",
                             f"The '{key}' field must be {low}–100 characters"))
    if body.get("language", "English") not in LANGUAGES:
        problems.append(("InvalidValue", "The 'language' field must be English or Spanish"))
    if problems:
        raise _field_errors(problems)
    _check_contact(body, required_delivery=True)


def _check_contact(body: dict, *, required_delivery: bool) -> None:
    problems = []
    methods = body.get("deliveryMethods")
    if methods is not None or required_delivery:
        if not isinstance(methods, list) or not methods or set(methods) - DELIVERY:
            problems.append(("InvalidValue", "The 'deliveryMethods' field must list Email and/or Sms"))
            methods = []
    email, phone = body.get("email"), body.get("phone")
    if email is not None and (not isinstance(email, str) or len(email) > 256 or not EMAIL.match(email)):
        problems.append(("InvalidFormat", "The 'email' field is not a valid e-mail address"))
    if phone is not None and (not isinstance(phone, str) or not PHONE.match(phone)):
        problems.append(("InvalidFormat", "The 'phone' field must be a 10-digit phone number"))
    if "Email" in (methods or []) and not email:
        problems.append(("RequiredField", "The 'email' field is required"))
    if "Sms" in (methods or []) and not phone:
        problems.append(("RequiredField", "The 'phone' field is required"))
    if problems:
        raise _field_errors(problems)


def _check_placement(placement: dict, document: dict) -> None:
    for key in ("page", "positionX", "positionY", "sizeX", "sizeY"):
        if not isinstance(placement.get(key), int | float) or isinstance(placement.get(key), bool):
            raise _field_errors([("RequiredField", f"The 'placement.{key}' field is required")])
    if placement["page"] < 1:
        raise ApiError(400, "Page number cannot be less than 1")
    if placement["positionX"] < 0:
        raise ApiError(400, "Position on X-axis cannot be less than 0")
    if placement["positionY"] < 0:
        raise ApiError(400, "Position on Y-axis cannot be less than 0")
    if placement["sizeX"] < 0.1 or placement["sizeY"] < 0.1:
        raise ApiError(400, "Size cannot be less than 0.1")
    pages = document["pages"]
    if placement["page"] > len(pages):
        raise ApiError(400, f"Document has no page {placement['page']}")  # [7]
    width, height = pages[placement["page"] - 1]
    if placement["positionX"] + placement["sizeX"] > width or placement["positionY"] + placement["sizeY"] > height:
        raise ApiError(400, "Signature field must be inside the page")  # [7]


# -- files ------------------------------------------------------------------------------------


def _multipart_file(incoming: Incoming, name: str) -> tuple[str, bytes]:
    content_type = incoming.headers.get("Content-Type", "")
    boundary = content_type.partition("boundary=")[2].strip('"')
    if not content_type.startswith("multipart/form-data") or not boundary:
        raise ApiError(400, "The request must be multipart/form-data")
    for part in incoming.body.split(b"--" + boundary.encode()):
        head, _, data = part.partition(b"\r\n\r\n")
        disposition = re.search(rb'name="([^"]*)"(?:; filename="([^"]*)")?', head)
        if disposition and disposition.group(1).decode() == name:
            filename = (disposition.group(2) or b"document").decode()
            return filename, data.removesuffix(b"\r\n")
    raise _field_errors([("RequiredField", f"The '{name}' field is required")])


def _pdf_pages(content: bytes) -> list[tuple[float, float]] | None:
    try:
        reader = PdfReader(io.BytesIO(content))
        return [(float(page.mediabox.width), float(page.mediabox.height)) for page in reader.pages]
    except Exception:  # noqa: BLE001 - anything unreadable is "not a PDF"
        return None


def _is_word(content: bytes) -> bool:
    return content.startswith(b"PK\x03\x04") or content.startswith(b"\xd0\xcf\x11\xe0")


def _text_pdf(text: bytes) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Subject": text.decode()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stamped(content: bytes, note: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(content))
    writer.add_metadata({"/Subject": note})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _merge(parts: list[bytes]) -> bytes:
    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_reply(filename: str, content: bytes) -> Reply:
    return Reply(200, content, {"Content-Type": "application/pdf",
                                "Content-Disposition": f'attachment; filename="{filename}"'})


def _query_list(incoming: Incoming, key: str) -> list[str]:
    """The values of a query parameter (the shared base keeps one value per name) [13]."""
    return [incoming.query[key]] if incoming.query.get(key) else []


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
