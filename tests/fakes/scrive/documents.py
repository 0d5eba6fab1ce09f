"""Documents as Scrive's Document API v2 keeps them, and what each call does to them.

Reference: Scrive Document API v2 (Swagger 2.0): `definitions/Document.yaml`, `Signatory.yaml`,
`SignatoryField*.yaml`, `DocumentStatus.yaml`, and the `api/documents/**` calls. A document is
held as the Document JSON the reference defines (nothing else in it); what the fake needs beyond
that lives in `Internal`.
"""

from __future__ import annotations

import copy
import json
import secrets
from dataclasses import dataclass, field

from tests.fakes.scrive.state import ApiError, new_id, timestamp

STATUSES = ("preparation", "pending", "closed", "canceled", "timedout", "rejected", "document_error")
ROLES = {"viewer", "signing_party", "approver"}
DELIVERY = {"email", "mobile", "email_mobile", "pad", "api"}
CONFIRMATION = {"email", "mobile", "email_mobile", "email_link", "email_link_mobile", "none"}
AUTH_TO_VIEW = {
    "standard", "sms_pin", "se_bankid", "no_bankid", "dk_nemid", "dk_nemid_pid", "dk_nemid_cpr", "dk_nemid_cvr",
    "fi_tupas", "verimi", "nl_idin",
}
AUTH_TO_SIGN = {
    "standard", "sms_pin", "se_bankid", "no_bankid", "dk_nemid", "dk_nemid_pid", "dk_nemid_cpr", "dk_nemid_cvr",
    "fi_tupas", "onfido_document_check", "onfido_document_and_photo_check",
}
LANGUAGES = {"da", "de", "el", "en", "es", "et", "fi", "fr", "is", "it", "lt", "lv", "nl", "no", "pt", "sv"}
DELIVERY_STATUSES = {"unknown", "not_delivered", "delivered", "deferred"}
# Party keys an update may set (the reference's read-only ones are left as they are).
PARTY_WRITABLE = (
    "signatory_role", "sign_order", "delivery_method", "authentication_method_to_view",
    "authentication_method_to_view_archived", "authentication_method_to_sign", "confirmation_delivery_method",
    "sign_success_redirect_url", "reject_redirect_url", "allows_highlighting", "hide_personal_number",
)
DOCUMENT_WRITABLE = (
    "title", "days_to_sign", "days_to_remind", "invitation_message", "sms_invitation_message",
    "confirmation_message", "sms_confirmation_message", "lang", "api_callback_url", "timezone", "is_saved",
)


@dataclass
class Internal:
    """What the fake knows about a document beyond its JSON."""

    content: bytes = b""
    closed_at: float | None = None
    reminders: int = 0
    owner: str = ""  # the token key that created it


@dataclass
class Store:
    documents: dict[str, dict] = field(default_factory=dict)
    internal: dict[str, Internal] = field(default_factory=dict)


def state_error(message: str) -> ApiError:
    return ApiError(409, "document_state_error", message)


def invalid(message: str) -> ApiError:
    return ApiError(400, "request_parameters_invalid", message)


def new_document(store: Store, now: float, *, filename: str, content: bytes, author: dict, owner: str) -> dict:
    """POST /documents/new: status preparation, the author as party 0, the file as main file."""
    document_id = new_id()
    title = filename.rsplit(".", 1)[0] if filename else "Document"
    document = {
        "id": document_id,
        "title": title,
        "parties": [_author_party(author)],
        "file": {"id": new_id(), "name": filename or "document.pdf"},
        "sealed_file": None,
        "author_attachments": [],
        "ctime": timestamp(now),
        "mtime": timestamp(now),
        "timeout_time": None,
        "auto_remind_time": None,
        "status": "preparation",
        "days_to_sign": 90,
        "days_to_remind": None,
        "display_options": {
            "show_header": True, "show_pdf_download": True, "show_reject_option": True,
            "allow_reject_reason": True, "show_footer": True, "document_is_receipt": False, "show_arrow": True,
        },
        "invitation_message": "",
        "sms_invitation_message": "",
        "confirmation_message": "",
        "sms_confirmation_message": "",
        "lang": "en",
        "api_callback_url": None,
        "object_version": 1,
        "access_token": secrets.token_hex(8),
        "timezone": "Europe/Stockholm",
        "tags": [],
        "is_template": False,
        "is_saved": True,
        "is_shared": False,
        "is_trashed": False,
        "is_deleted": False,
        "viewer": {"role": "signatory", "signatory_id": ""},
    }
    document["viewer"]["signatory_id"] = document["parties"][0]["id"]
    store.documents[document_id] = document
    store.internal[document_id] = Internal(content=content, owner=owner)
    return document


def _author_party(author: dict) -> dict:
    party = new_party()
    party.update(is_author=True, is_signatory=False, signatory_role="viewer", user_id=author["user_id"],
                 delivery_method="email", confirmation_delivery_method="email")
    _set_fields(party, {"name1": author["first_name"], "name2": author["last_name"], "email": author["email"]})
    return party


def new_party() -> dict:
    """A party with the defaults the reference gives (`{}` appended in an update)."""
    return {
        "id": new_id(),
        "user_id": None,
        "is_author": False,
        "is_signatory": True,
        "signatory_role": "signing_party",
        "fields": [
            _field("name", order=1), _field("name", order=2), _field("email"), _field("mobile"),
            _field("personal_number"),
        ],
        "sign_order": 1,
        "sign_time": None,
        "seen_time": None,
        "read_invitation_time": None,
        "rejected_time": None,
        "rejection_reason": None,
        "sign_success_redirect_url": None,
        "reject_redirect_url": None,
        "email_delivery_status": "unknown",
        "mobile_delivery_status": "unknown",
        "csv": None,
        "delivery_method": "email",
        "authentication_method_to_view": "standard",
        "authentication_method_to_view_archived": "standard",
        "authentication_method_to_sign": "standard",
        "confirmation_delivery_method": "email",
        "allows_highlighting": False,
        "hide_personal_number": False,
        "highlighted_pages": [],
        "attachments": [],
        "api_delivery_url": None,
        "consent_module": None,
    }


def _field(kind: str, *, order: int | None = None) -> dict:
    item = {"type": kind}
    if order is not None:
        item["order"] = order
    item.update(value="", is_obligatory=kind == "name", should_be_filled_by_sender=False, placements=[])
    if kind in ("email", "mobile"):
        item["editable_by_signatory"] = False
    return item


def field_value(party: dict, kind: str, order: int | None = None) -> str:
    for item in party["fields"]:
        if item.get("type") == kind and (order is None or item.get("order") == order):
            return item.get("value") or ""
    return ""


def _set_fields(party: dict, values: dict) -> None:
    keys = {"name1": ("name", 1), "name2": ("name", 2), "email": ("email", None), "mobile": ("mobile", None),
            "personal_number": ("personal_number", None)}
    for key, value in values.items():
        kind, order = keys[key]
        for item in party["fields"]:
            if item["type"] == kind and item.get("order") == order:
                item["value"] = value


def update(store: Store, document: dict, given, now: float) -> None:
    """POST /{id}/update `document=<JSON>`: a subset of the Document JSON. `parties`, when given,
    is the whole list: an entry with an `id` updates that party, one without adds a party (from the
    defaults), a party left out is removed; the author stays first and unchanged."""
    if document["status"] != "preparation":
        raise state_error("The document status should be `Preparation`.")
    if not isinstance(given, dict):
        raise ApiError(400, "request_parameters_parse_error", "The parameter 'document' could not be parsed.")
    changed = copy.deepcopy(document)
    for key in DOCUMENT_WRITABLE:
        if key in given:
            changed[key] = given[key]
    _check_document(changed)
    if "parties" in given:
        changed["parties"] = _parties(document, given["parties"])
    document.clear()
    document.update(changed)
    touch(document, now)


def _check_document(document: dict) -> None:
    days = document["days_to_sign"]
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        raise invalid("days_to_sign must be a whole number of days from 1 to 365.")
    if document["lang"] not in LANGUAGES:
        raise invalid(f"lang must be one of {', '.join(sorted(LANGUAGES))}.")
    url = document["api_callback_url"]
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise invalid("api_callback_url must be an http(s) URL.")
    for key in ("title", "invitation_message", "sms_invitation_message"):
        if not isinstance(document[key], str):
            raise invalid(f"{key} must be a string.")


def _parties(document: dict, given) -> list[dict]:
    if not isinstance(given, list) or not given:
        raise invalid("parties must be a list that starts with the author.")
    existing = {party["id"]: party for party in document["parties"]}
    author = document["parties"][0]
    parties = []
    for index, entry in enumerate(given):
        if not isinstance(entry, dict):
            raise invalid(f"parties[{index}] must be an object.")
        if entry.get("id") is not None and entry["id"] not in existing:
            raise invalid(f"parties[{index}].id {entry['id']} is not a party of this document.")
        party = copy.deepcopy(existing[entry["id"]]) if entry.get("id") else new_party()
        if party["id"] != author["id"]:
            _party_update(party, entry, f"parties[{index}]")
        parties.append(party)
    if not parties or parties[0]["id"] != author["id"]:
        raise invalid("parties must start with the author (party 0 of the document).")
    return parties


def _party_update(party: dict, entry: dict, where: str) -> None:
    for key in PARTY_WRITABLE:
        if key in entry:
            party[key] = entry[key]
    if "is_signatory" in entry and "signatory_role" not in entry:
        party["signatory_role"] = "signing_party" if entry["is_signatory"] else "viewer"
    party["is_signatory"] = party["signatory_role"] == "signing_party"
    choices = (
        ("signatory_role", ROLES),
        ("delivery_method", DELIVERY),
        ("authentication_method_to_view", AUTH_TO_VIEW),
        ("authentication_method_to_view_archived", AUTH_TO_VIEW),
        ("authentication_method_to_sign", AUTH_TO_SIGN),
        ("confirmation_delivery_method", CONFIRMATION),
    )
    for key, allowed in choices:
        if party[key] not in allowed:
            raise invalid(f"{where}.{key} must be one of {', '.join(sorted(allowed))}.")
    order = party["sign_order"]
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise invalid(f"{where}.sign_order must be a whole number of at least 1.")
    if "fields" in entry:
        _fields_update(party, entry["fields"], where)


def _fields_update(party: dict, fields, where: str) -> None:
    if not isinstance(fields, list):
        raise invalid(f"{where}.fields must be a list.")
    kept = []
    for index, item in enumerate(fields):
        if not isinstance(item, dict) or item.get("type") not in ("name", "email", "mobile", "personal_number",
                                                                    "company", "company_number"):
            raise invalid(f"{where}.fields[{index}] is not a field this fake knows.")
        if item["type"] == "name" and item.get("order") not in (1, 2):
            raise invalid(f"{where}.fields[{index}].order must be 1 or 2 for a name.")
        value = item.get("value", "")
        if not isinstance(value, str):
            raise invalid(f"{where}.fields[{index}].value must be a string.")
        if item["type"] == "email" and value and "@" not in value.strip("@"):
            raise invalid(f"{where}.fields[{index}]: {value!r} is not an email address.")
        if item["type"] == "mobile" and value and not valid_mobile(value):
            raise invalid(f"{where}.fields[{index}]: {value!r} is not a mobile number (+ and country code, digits).")
        field = _field(item["type"], order=item.get("order"))
        field.update({k: v for k, v in item.items() if k in field})
        kept.append(field)
    party["fields"] = kept


def valid_mobile(value: str) -> bool:
    digits = value.replace(" ", "").replace("-", "")
    return digits.startswith("+") and digits[1:].isdigit() and 8 <= len(digits) - 1 <= 15


def start(document: dict, now: float) -> None:
    """POST /{id}/start: checks the parties can be reached and authenticated, then pending."""
    if document["status"] != "preparation":
        raise state_error("The document state must be 'Preparation'.")
    if document["file"] is None:
        raise state_error("Document must have a file before it can be started.")
    acting = [p for p in document["parties"][1:] if p["signatory_role"] in ("signing_party", "approver")]
    if not acting:
        raise state_error("The document has missing or invalid data: it has no signing party.")
    for index, party in enumerate(document["parties"][1:], start=1):
        problem = _party_problem(party)
        if problem:
            raise state_error(f"The document has missing or invalid data: party {index} {problem}.")
    document["status"] = "pending"
    document["timeout_time"] = timestamp(now + document["days_to_sign"] * 86400)
    touch(document, now)


def _party_problem(party: dict) -> str:
    email, mobile = field_value(party, "email"), field_value(party, "mobile")
    method = party["delivery_method"]
    if method in ("email", "email_mobile") and not email:
        return "has email delivery but no email"
    if method in ("mobile", "email_mobile") and not mobile:
        return "has mobile delivery but no mobile number"
    for key in ("authentication_method_to_view", "authentication_method_to_sign"):
        if party[key] == "sms_pin" and not mobile:
            return f"has {key} sms_pin but no mobile number"
        bankid = party[key] in ("se_bankid", "no_bankid")
        if bankid and key.endswith("view") and not field_value(party, "personal_number"):
            return f"has {key} {party[key]} but no personal number"
    if not field_value(party, "name", 1) and not field_value(party, "name", 2):
        return "has no name"
    return ""


def touch(document: dict, now: float) -> None:
    document["object_version"] += 1
    document["mtime"] = timestamp(now)


def check_version(document: dict, form: dict) -> None:
    """The ObjectVersion parameter: when given, it must match (409 otherwise)."""
    given = form.get("object_version")
    if given in (None, ""):
        return
    if not given.isdigit():
        raise ApiError(400, "request_parameters_parse_error", "The parameter 'object_version' could not be parsed.")
    if int(given) != document["object_version"]:
        raise ApiError(
            409,
            "document_object_version_mismatch",
            f"The document has a different object_version ({document['object_version']}) to the one provided "
            f"({given}) and so the request was not processed.",
        )


def acting_parties(document: dict) -> list[dict]:
    return [p for p in document["parties"][1:] if p["signatory_role"] in ("signing_party", "approver")]


def party(document: dict, signatory_id: str) -> dict:
    for candidate in document["parties"]:
        if candidate["id"] == signatory_id:
            return candidate
    raise ApiError(404, "resource_not_found", f"The resource was not found. No signatory with id {signatory_id}.")


def turn_of(document: dict, signatory: dict) -> bool:
    """In sign order: every acting party with a lower sign_order has signed."""
    return all(p["sign_time"] for p in acting_parties(document) if p["sign_order"] < signatory["sign_order"])


def as_json(document: dict) -> bytes:
    return json.dumps(document).encode()
