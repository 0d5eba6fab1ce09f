"""How an envelope becomes a Formify signature request: one file (merged when there are several),
each participant a signee, our signature boxes converted to Formify's placement.

Reference: Formify API, "Create Document" (POST /docs), "Signature Field Placement".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pypdf import PdfReader

from providers.base import FieldSpec, ParticipantSpec, ProviderError, SendRequest

MAX_FILES = 8  # /files/merge takes 2–8 files
LANGUAGES = {"en", "sv", "es"}
# Formify's signature box is 219×58 pt and its ID-scan placeholder 218×138 pt before scaling.
BOX_WIDTH, BOX_HEIGHT = 219, 58
ID_SCAN_WIDTH, ID_SCAN_HEIGHT = 218, 138
MIN_SCALE, MAX_SCALE = 0.25, 1.5
ID_SCAN_GAP = 8
SIGNATURE_TYPES = {
    "none": "digital_ink",
    "se_bankid": "bankid_identification",
    "id_scan": "digital_ink_id_scan",
    "face_liveness": "face_liveness",
}


@dataclass(frozen=True)
class Page:
    index: int  # zero-based, in the merged file
    width: float
    height: float


def signed_documents(request: SendRequest):
    return [document for document in request.documents if document.kind == "sign"]


def request_problems(request: SendRequest) -> list[str]:
    """Everything Formify would refuse, as sentences, before any call is made."""
    problems = []
    documents = signed_documents(request)
    if len(documents) > MAX_FILES:
        problems.append(
            f"Formify takes at most {MAX_FILES} documents per envelope; remove {len(documents) - MAX_FILES}."
        )
    if request.language not in LANGUAGES:
        problems.append("Formify sends invitations in English, Swedish or Spanish; choose one of those languages.")
    for person in request.participants:
        problems += _participant_problems(request, person)
    return problems


def _participant_problems(request: SendRequest, person: ParticipantSpec) -> list[str]:
    label = person.name or "A participant"
    problems = []
    if person.auth_view != "none":
        problems.append(f"Formify cannot ask {label} to authenticate before opening; set it to None.")
    if len(person.fields) > 1:
        problems.append(f"Formify places one signature box per signer; keep one for {label}.")
    if person.auth_sign == "id_scan" and not person.fields:
        problems.append(f"ID scan signing at Formify needs a signature box on the document; place one for {label}.")
    if person.fields:
        try:
            placement(request, person)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def document_name(title: str, tag: str) -> str:
    """The document's name at Formify: the title, and the tag that lets a retry after a lost
    answer recognise the document this send made (`name` is the one field of POST /docs that
    GET /docs lists back). Signers see it as a reference number."""
    return f"{title} (ref. {tag})" if tag else title


def request_body(request: SendRequest, file_id: str, *, tag: str = "") -> dict:
    """The POST /docs body."""
    in_order = len({person.order for person in request.participants}) > 1
    body = {
        "fileId": file_id,
        "name": document_name(request.title, tag),
        "signeeDetails": [signee(request, person) for person in request.participants],
        "enableSigningOrder": in_order,
        "language": request.language,
        "sharingSetting": "private",
    }
    if request.message:
        body["personalMessage"] = request.message
    return body


def signee(request: SendRequest, person: ParticipantSpec) -> dict:
    details = {
        "fullName": person.name,
        "signatureType": SIGNATURE_TYPES[person.auth_sign],
        "signingOrder": person.order,
    }
    details.update(contact(person.email, person.phone, person.delivery))
    if person.fields:
        details["signaturePlacement"] = "existing"
        details.update(placement(request, person))
    else:
        details["signaturePlacement"] = "new_page"
    return details


def contact(email: str, phone: str, delivery: str) -> dict:
    """The contact fields for a delivery method (Formify needs an e-mail address or a phone).

    `phoneNumberDeliveryMethod`: the reference names the options "sms" and "WhatsApp" in prose
    only ("Signee Contact Methods"), without listing wire values; `whatsapp`, lowercase like
    `sms`, is our reading. Formify refuses the request (400, shown to the sender) if it is wrong."""
    details = {}
    if email and delivery in ("email", "email_sms"):
        details["emailAddress"] = email
    if phone and delivery in ("sms", "email_sms", "whatsapp"):
        details["phoneNumber"] = phone
        details["phoneNumberDeliveryMethod"] = "whatsapp" if delivery == "whatsapp" else "sms"
    return details


def contact_change(signee, person: ParticipantSpec) -> dict:
    """The PATCH /docs/{id}/signature-field entry for `signee` (as Formify lists it) to match
    `person`: only the fields that differ. Formify can change a contact method the signee has
    but not add one (Reference: "Update signee details", Notes), nor remove one; either is a
    ProviderError in words."""
    change = {"signeeId": signee.signee_id}
    if person.name and person.name != signee.full_name:
        change["fullName"] = person.name
    wanted = contact(person.email, person.phone, person.delivery)
    pairs = (
        ("emailAddress", signee.email, "an e-mail address", str.lower),
        ("phoneNumber", signee.phone, "a phone number", _digits),
    )
    for key, current, words, normal in pairs:
        new = wanted.get(key, "")
        if normal(new) == normal(current):
            continue
        label = person.name or "this signer"
        if not current:
            raise ProviderError(
                f"Formify cannot add {words} to a signer invited without one; void the envelope and send it again "
                f"with {words} for {label}.",
                permanent=True,
            )
        if not new:
            raise ProviderError(
                f"Formify cannot remove {label}'s {words.split(' ', 1)[1]}; enter a new one instead.", permanent=True
            )
        change[key] = new
    return change


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


def placement(request: SendRequest, person: ParticipantSpec) -> dict:
    """`signatureBox` (and `idScanBox` for ID scan) for the person's box; ValueError, in words,
    when Formify would refuse it."""
    field = person.fields[0]
    page = _page(request, field)
    label = person.name or "a signer"
    scale = round(field.width / BOX_WIDTH, 2)
    if not MIN_SCALE <= scale <= MAX_SCALE:
        low, high = round(BOX_WIDTH * MIN_SCALE), round(BOX_WIDTH * MAX_SCALE)
        raise ValueError(f"Formify needs signature boxes {low}–{high} points wide; resize the one for {label}.")
    # Our boxes are measured from the page's bottom-left corner; Formify measures from the top-left
    # (as its docs' Illustrator advice implies), in whole points.
    x = round(field.x)
    y = round(page.height - field.y - BOX_HEIGHT * scale)
    if x < 0 or y < 0 or x + BOX_WIDTH * scale > page.width + 1:
        raise ValueError(f"The signature box for {label} reaches outside the page; move it inside.")
    box = {"signatureBox": {"x": x, "y": y, "page": page.index, "scale": scale}}
    if person.auth_sign == "id_scan":
        box["idScanBox"] = _id_scan_box(page, x, y, scale, label)
    return box


def _id_scan_box(page: Page, x: int, y: int, scale: float, label: str) -> dict:
    """The ID-scan placeholder goes just above the signature box, or below it near the page top."""
    height = ID_SCAN_HEIGHT * scale
    above = y - ID_SCAN_GAP - height
    top = above if above >= 0 else y + BOX_HEIGHT * scale + ID_SCAN_GAP
    if top + height > page.height:
        raise ValueError(f"There is no room for the ID scan next to {label}'s signature box; move it.")
    return {"x": x, "y": round(top), "page": page.index, "scale": scale}


def _page(request: SendRequest, field: FieldSpec) -> Page:
    offset = 0
    for document in signed_documents(request):
        if document.ref == field.document_ref:
            sizes = page_sizes(document.path)
            if not 1 <= field.page <= len(sizes):
                raise ValueError(f"{document.name} has no page {field.page}; move the signature box.")
            width, height = sizes[field.page - 1]
            return Page(offset + field.page - 1, width, height)
        offset += document.page_count
    raise ValueError("A signature box is on a document that is not signed; move it to a document to sign.")


@cache
def page_sizes(path: str) -> tuple[tuple[float, float], ...]:
    """(width, height) in points of each page, as displayed (rotation applied)."""
    sizes = []
    for page in PdfReader(path).pages:
        box = page.mediabox
        width, height = float(box.width), float(box.height)
        if (page.get("/Rotate") or 0) % 180:
            width, height = height, width
        sizes.append((width, height))
    return tuple(sizes)
