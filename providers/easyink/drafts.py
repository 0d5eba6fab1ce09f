"""How an envelope becomes an EasyInk signing session draft: the body of each call, and
everything EasyInk would refuse, found before the first call.

Reference: EasyInk Public API, "Create signing session draft", "Add participant", "Add
signature field", "Update session parameters".
"""

from __future__ import annotations

import re
from functools import cache

from pypdf import PdfReader

from providers.base import FieldSpec, ParticipantSpec, SendRequest

MAX_SUBJECT = 500
MAX_NAME = 100
MAX_EMAIL = 256
MIN_SIZE = 0.1
PHONE = re.compile(r"^\d{10}$")
LANGUAGES = {"en": "English", "es": "Spanish"}
DELIVERY = {"email": ["Email"], "sms": ["Sms"], "email_sms": ["Email", "Sms"]}


def signed_documents(request: SendRequest):
    return [document for document in request.documents if document.kind == "sign"]


def attachments(request: SendRequest):
    return [document for document in request.documents if document.kind == "attachment"]


def request_problems(request: SendRequest) -> list[str]:
    """Everything EasyInk would refuse, one sentence each, before any call is made."""
    problems = []
    if len(request.title) > MAX_SUBJECT:
        problems.append(f"EasyInk takes titles of at most {MAX_SUBJECT} characters; shorten this one by "
                        f"{len(request.title) - MAX_SUBJECT}.")
    if request.language not in LANGUAGES:
        problems.append("EasyInk invites in English or Spanish; choose one of those languages.")
    for person in request.participants:
        problems += _participant_problems(request, person)
    return problems


def _participant_problems(request: SendRequest, person: ParticipantSpec) -> list[str]:
    label = person.name or "A participant"
    problems = []
    first, middle, last = name_parts(person.name)
    if not first or not last:
        problems.append(f"EasyInk needs a first and a last name; give {label} both.")
    elif max(len(first), len(middle), len(last)) > MAX_NAME:
        problems.append(f"EasyInk takes names of at most {MAX_NAME} characters per part; shorten {label}'s.")
    if person.delivery not in DELIVERY:
        problems.append(f"EasyInk delivers by e-mail or SMS; change it for {label}.")
    if not person.email and not person.phone:
        problems.append(f"EasyInk needs an e-mail address or a phone number for {label}.")
    if len(person.email) > MAX_EMAIL:
        problems.append(f"EasyInk takes e-mail addresses of at most {MAX_EMAIL} characters; {label}'s is longer.")
    if "Sms" in DELIVERY.get(person.delivery, []) and not PHONE.match(phone_number(person.phone)):
        problems.append(f"EasyInk takes 10-digit phone numbers (like 2025551234); {person.phone or 'none'} "
                        f"for {label} is not one.")
    if not person.fields:
        problems.append(f"EasyInk needs a signature box on the document for {label}; place one.")
    for field in person.fields:
        problem = placement_problem(request, field, label)
        if problem:
            problems.append(problem)
    return problems


def name_parts(name: str) -> tuple[str, str, str]:
    """(first, middle, last): the first word, the last word, and what lies between."""
    words = name.split()
    if len(words) < 2:
        return (words[0] if words else "", "", "")
    return words[0], " ".join(words[1:-1]), words[-1]


def phone_number(phone: str) -> str:
    """EasyInk's format: ten digits. A leading +1 / 1 (North American numbering) is dropped."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


def draft_body(request: SendRequest) -> dict:
    return {"subject": request.title}


def participant_body(request: SendRequest, person: ParticipantSpec) -> dict:
    first, middle, last = name_parts(person.name)
    methods = DELIVERY[person.delivery]
    return {
        "firstName": first,
        "middleName": middle or None,
        "lastName": last,
        "email": person.email or None,
        "phone": phone_number(person.phone) if person.phone else None,
        "deliveryMethods": methods,
        "language": LANGUAGES[request.language],
    }


def field_body(field: FieldSpec, participant_id: str, document_id: str) -> dict:
    """Our boxes and EasyInk's share an origin (the page's bottom-left corner) and unit (points)."""
    return {
        "participantId": participant_id,
        "documentId": document_id,
        "field": {
            "type": "Signature",
            "placement": field_placement(field),
            "options": {"isRequired": True, "forType": "Signature"},
        },
    }


def field_placement(field: FieldSpec) -> dict:
    return {"page": field.page, "positionX": round(field.x, 2), "positionY": round(field.y, 2),
            "sizeX": round(field.width, 2), "sizeY": round(field.height, 2)}


def order_body(request: SendRequest, participant_ids: dict[str, str]) -> dict | None:
    """One by one (everyone listed, by our order) when the envelope has a signing order; None for
    all at once, EasyInk's default."""
    if len({person.order for person in request.participants}) <= 1:
        return None
    ordered = sorted(request.participants, key=lambda person: person.order)
    return {"participantsOrder": [participant_ids[person.ref] for person in ordered]}


def reminder_frequency(days: int | None) -> str:
    """Our reminder policy in EasyInk's terms: off → Never; every day → Daily; otherwise Weekly
    for a week or more and Daily below (EasyInk offers nothing between)."""
    if not days:
        return "Never"
    return "Weekly" if days >= 7 else "Daily"


def placement_problem(request: SendRequest, field: FieldSpec, label: str) -> str:
    document = next((d for d in signed_documents(request) if d.ref == field.document_ref), None)
    if document is None:
        return f"A signature box for {label} is on a document that is not signed; move it to one to sign."
    sizes = page_sizes(document.path)
    if not 1 <= field.page <= len(sizes):
        return f"{document.name} has no page {field.page}; move {label}'s signature box."
    width, height = sizes[field.page - 1]
    if field.width < MIN_SIZE or field.height < MIN_SIZE:
        return f"{label}'s signature box is too small; make it larger."
    if field.x < 0 or field.y < 0 or field.x + field.width > width or field.y + field.height > height:
        return f"{label}'s signature box reaches outside page {field.page} of {document.name}; move it inside."
    return ""


@cache
def page_sizes(path: str) -> tuple[tuple[float, float], ...]:
    """(width, height) in points of each page, as displayed (rotation applied)."""
    sizes = []
    for page in PdfReader(path).pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        if (page.get("/Rotate") or 0) % 180:
            width, height = height, width
        sizes.append((width, height))
    return tuple(sizes)
