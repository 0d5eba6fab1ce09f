"""The checks POST /docs makes on its body before a document exists.

Reference: Formify API docs, "docs" → POST /docs ("Requirements", "Signee Signature Type",
"Signature Field Placement", "Signee Contact Methods", "Signing Order", "Pre-filling Form Fields").
Every problem is a 400 whose message names the offending field.
"""

from __future__ import annotations

from tests.fakes.formify.state import ApiError

SIGNATURE_TYPES = {"digital_ink", "bankid_identification", "digital_ink_id_scan", "face_liveness"}
PLACEMENTS = {"existing", "new_page"}
DELIVERY_METHODS = {"sms", "whatsapp"}
ENUMS = {
    "fieldsReadonlyMode": {"keepOriginal", "filled", "all"},
    "language": {"en", "sv", "es"},
    "sharingSetting": {"private", "shared"},
}
SCALE_RANGE = (0.25, 1.5)


def invalid(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def check_document_request(body, file: dict) -> None:
    """Raises ApiError 400 for the first problem in a POST /docs body whose fileId is `file`."""
    for key, allowed in ENUMS.items():
        if key in body and body[key] not in allowed:
            raise invalid(f"{key} must be one of {', '.join(sorted(allowed))}.")
    if not isinstance(body.get("enableSigningOrder", False), bool):
        raise invalid("enableSigningOrder must be true or false.")
    ai = body.get("aiAssistant", {})
    if not isinstance(ai, dict) or not isinstance(ai.get("enabled", False), bool):
        raise invalid("aiAssistant must be an object whose enabled is true or false.")
    signees = body.get("signeeDetails")
    if not isinstance(signees, list) or not signees:
        raise invalid("signeeDetails must list at least one signee.")
    for index, signee in enumerate(signees):
        _check_signee(signee, f"signeeDetails[{index}]", file["pageCount"])
    _check_fields(body.get("fields", []), file["fields"])


def _check_signee(signee, where: str, page_count: int) -> None:
    if not isinstance(signee, dict):
        raise invalid(f"{where} must be an object.")
    if not signee.get("emailAddress") and not signee.get("phoneNumber"):
        raise invalid(f"{where}: each signee needs an emailAddress or a phoneNumber.")
    check_contact(signee, where)
    if signee.get("phoneNumberDeliveryMethod", "sms") not in DELIVERY_METHODS:
        raise invalid(f"{where}.phoneNumberDeliveryMethod must be sms or whatsapp.")
    kind = signee.get("signatureType", "digital_ink")
    placement = signee.get("signaturePlacement", "existing")
    if kind not in SIGNATURE_TYPES:
        raise invalid(f"{where}.signatureType must be one of {', '.join(sorted(SIGNATURE_TYPES))}.")
    if placement not in PLACEMENTS:
        raise invalid(f"{where}.signaturePlacement must be existing or new_page.")
    if kind == "digital_ink_id_scan" and (placement != "existing" or "idScanBox" not in signee):
        raise invalid(f"{where}: digital_ink_id_scan needs existing placement, a signatureBox and an idScanBox.")
    if placement == "existing":
        check_box(signee.get("signatureBox"), f"{where}.signatureBox", page_count)
    if kind == "digital_ink_id_scan":
        check_box(signee.get("idScanBox"), f"{where}.idScanBox", page_count)
    order = signee.get("signingOrder", 1)
    if not _is_int(order) or order < 1:
        raise invalid(f"{where}.signingOrder must be a whole number of at least 1.")


def check_contact(contact: dict, where: str) -> None:
    """Email and phone formats, for POST /docs and PATCH /docs/{id}/signature-field."""
    email, phone = contact.get("emailAddress"), contact.get("phoneNumber")
    if email is not None and (not isinstance(email, str) or "@" not in email.strip("@")):
        raise invalid(f"{where}.emailAddress is not an email address.")
    if phone is not None and (not isinstance(phone, str) or not phone.startswith("+") or not phone[1:].isdigit()):
        raise invalid(f"{where}.phoneNumber must include the country code, like +46701234567.")


def check_box(box, where: str, page_count: int) -> None:
    if not isinstance(box, dict):
        raise invalid(f"{where} is required for existing placement.")
    for key in ("x", "y", "page"):
        if not _is_int(box.get(key)) or box[key] < 0:
            raise invalid(f"{where}.{key} must be a whole number of at least 0.")
    if box["page"] >= page_count:
        raise invalid(f"{where}.page is {box['page']}, but the file's pages are numbered 0 to {page_count - 1}.")
    scale = box.get("scale", 1.0)
    if not isinstance(scale, int | float) or isinstance(scale, bool) or not SCALE_RANGE[0] <= scale <= SCALE_RANGE[1]:
        raise invalid(f"{where}.scale must be between {SCALE_RANGE[0]} and {SCALE_RANGE[1]}.")


def _check_fields(fields, file_fields: list[dict]) -> None:
    editable = {field["name"] for field in file_fields if field["editable"]}
    if not isinstance(fields, list):
        raise invalid("fields must be a list of {name, value}.")
    for field in fields:
        if not isinstance(field, dict) or field.get("name") not in editable:
            name = field.get("name") if isinstance(field, dict) else field
            raise invalid(f"Field {name!r} is not an editable field of this file and cannot be pre-filled.")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
