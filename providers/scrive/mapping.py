"""Scrive's words and Paraph's, in tables (the one place to fix a spelling), and the Document JSON
read into Paraph's snapshot. Every field is read through `providers.answers`, so a missing or
changed one is an UnreadableAnswer naming it.

Reference: Scrive Document API v2, definitions `Document`, `Signatory`, `SignatoryField*`,
`DocumentStatus`, `SignatoryRole`, `SignatoryDeliveryStatus`, `LanguageCode`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

from providers.answers import optional, required
from providers.base import ParticipantSpec, RemoteParticipant, RemoteSnapshot, SendRequest, UnreadableAnswer

SCRIVE = "Scrive"

# DocumentStatus → Paraph. preparation (and the newer awaiting_start) is a draft being sent: the
# envelope stays as it is. A status the reference does not list maps to nothing either.
ENVELOPE_STATUS = {
    "preparation": "",
    "awaiting_start": "",
    "pending": "sent",
    "closed": "completed",
    "rejected": "declined",
    "canceled": "voided",
    "timedout": "expired",
    "document_error": "failed",
}
ROLE = {"signer": "signing_party", "approver": "approver", "viewer": "viewer"}
DELIVERY = {"email": "email", "sms": "mobile", "email_sms": "email_mobile"}
# Paraph's authentication methods → the Document API's `authentication_method_to_view` and
# `_to_sign` values (None: Scrive has no such method there). Scrive's Flow API spells some of
# them differently (sms_otp, ftn, dk_mitid); this table is where a spelling changes.
AUTH_TO_VIEW = {"none": "standard", "sms_otp": "sms_pin", "se_bankid": "se_bankid", "no_bankid": "no_bankid"}
AUTH_TO_SIGN = {
    "none": "standard",
    "sms_otp": "sms_pin",
    "se_bankid": "se_bankid",
    "no_bankid": "no_bankid",
    "onfido": "onfido_document_and_photo_check",
}
AUTH_METHODS = (set(AUTH_TO_VIEW) | set(AUTH_TO_SIGN)) - {"none"}
NEEDS_PERSONAL_NUMBER = {"se_bankid", "no_bankid"}  # to view: Scrive identifies the person by it
LANGUAGES = {"da", "de", "el", "en", "es", "et", "fi", "fr", "is", "it", "lt", "lv", "nl", "no", "pt", "sv"}
MOBILE_DIGITS = (8, 15)  # E.164 without the "+": country code and number


# --- Sending ----------------------------------------------------------------------------------


def request_problems(request: SendRequest) -> list[str]:
    """What Scrive would refuse, one sentence each, before any call."""
    problems = []
    if request.language not in LANGUAGES:
        problems.append("Scrive does not send invitations in this language; choose another one.")
    for person in request.participants:
        problems += _person_problems(person)
    return problems


def _person_problems(person: ParticipantSpec) -> list[str]:
    label = person.name or "A participant"
    problems = []
    phone = mobile(person.phone)
    if person.phone and not valid_mobile(phone):
        problems.append(
            f"Scrive needs {label}'s mobile number with its country code, like +46701234567 "
            f"({MOBILE_DIGITS[0]}–{MOBILE_DIGITS[1]} digits after the +)."
        )
    if person.delivery in ("sms", "email_sms") and not person.phone:
        problems.append(f"Add a mobile number for {label}: Scrive invites them by SMS.")
    if person.delivery in ("email", "email_sms") and not person.email:
        problems.append(f"Add an e-mail address for {label}: Scrive invites them by e-mail.")
    if person.delivery not in DELIVERY:
        problems.append(f"Scrive cannot invite {label} that way; choose e-mail or SMS.")
    if AUTH_TO_VIEW.get(person.auth_view) is None:
        problems.append(f"Scrive cannot ask {label} to authenticate that way before opening; choose another method.")
    if AUTH_TO_SIGN.get(person.auth_sign) is None:
        problems.append(f"Scrive cannot ask {label} to sign that way; choose another method.")
    if "sms_otp" in (person.auth_view, person.auth_sign) and not person.phone:
        problems.append(f"Add a mobile number for {label}: Scrive sends their SMS code there.")
    if person.auth_view in NEEDS_PERSONAL_NUMBER and not person.personal_number:
        problems.append(f"Add {label}'s personal number: Scrive checks it when they open the document with BankID.")
    return problems


def mobile(phone: str) -> str:
    return "".join(ch for ch in phone or "" if ch not in " -().")


def valid_mobile(phone: str) -> bool:
    digits = phone[1:]
    return phone.startswith("+") and digits.isdigit() and MOBILE_DIGITS[0] <= len(digits) <= MOBILE_DIGITS[1]


def days_to_sign(expires_at: datetime | None, now: datetime) -> int | None:
    """Whole days until the envelope's expiry (at least one); None: Scrive's default (90)."""
    if expires_at is None:
        return None
    return max(1, math.ceil((expires_at - now).total_seconds() / 86400))


def party(person: ParticipantSpec) -> dict:
    """A Signatory for the update call: role, order, delivery, authentication, contact fields."""
    first, _, last = (person.name or "").strip().rpartition(" ")
    if not first:
        first, last = last, ""
    delivery = DELIVERY[person.delivery]
    return {
        "signatory_role": ROLE[person.role],
        "sign_order": max(1, person.order or 1),
        "delivery_method": delivery,
        "confirmation_delivery_method": delivery,
        "authentication_method_to_view": AUTH_TO_VIEW[person.auth_view],
        "authentication_method_to_sign": AUTH_TO_SIGN[person.auth_sign] if person.role != "viewer" else "standard",
        "fields": [
            {"type": "name", "order": 1, "value": first},
            {"type": "name", "order": 2, "value": last},
            {"type": "email", "value": person.email or ""},
            {"type": "mobile", "value": mobile(person.phone)},
            {"type": "personal_number", "value": person.personal_number or ""},
        ],
    }


def update_body(request: SendRequest, author: dict, *, now: datetime) -> dict:
    """The `document` of the update call: the author first, then one party per participant."""
    body = {
        "title": request.title,
        "lang": request.language,
        "parties": [author, *(party(person) for person in request.participants)],
        "invitation_message": request.message or "",
        "sms_invitation_message": request.message or "",
    }
    days = days_to_sign(request.expires_at, now)
    if days is not None:
        body["days_to_sign"] = days
    if request.callback_url:
        body["api_callback_url"] = request.callback_url
    return body


# --- Reading the Document JSON ----------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    signatory_id: str
    is_author: bool
    role: str
    order: int
    email: str
    mobile: str
    sign_time: datetime | None
    seen_time: datetime | None
    rejected_time: datetime | None
    rejection_reason: str
    email_delivery: str
    mobile_delivery: str


def status_of(document) -> str:
    return required(document, "status", provider=SCRIVE)


def object_version(document) -> int | None:
    return optional(document, "object_version", None, provider=SCRIVE, kind=int)


def author_of(document) -> dict:
    """Party 0, the author, as Scrive returned it (sent back unchanged in the update)."""
    parties = required(document, "parties", provider=SCRIVE, kind=list)
    if not parties or not isinstance(parties[0], dict):
        raise UnreadableAnswer(SCRIVE, "the document's first party (its author) is missing")
    return parties[0]


def parties_of(document) -> list[Party]:
    listed = required(document, "parties", provider=SCRIVE, kind=list)
    return [_party(entry, f"parties[{index}]") for index, entry in enumerate(listed)]


def _party(entry, where: str) -> Party:
    def text(key: str) -> str:
        return optional(entry, key, "", provider=SCRIVE, where=where)

    fields = optional(entry, "fields", [], provider=SCRIVE, kind=list, where=where)
    return Party(
        signatory_id=required(entry, "id", provider=SCRIVE, where=where),
        is_author=optional(entry, "is_author", False, provider=SCRIVE, kind=bool, where=where),
        role=optional(entry, "signatory_role", "signing_party", provider=SCRIVE, where=where),
        order=optional(entry, "sign_order", 1, provider=SCRIVE, kind=int, where=where),
        email=_field_value(fields, "email", where),
        mobile=_field_value(fields, "mobile", where),
        sign_time=parse_time(text("sign_time")),
        seen_time=parse_time(text("seen_time")),
        rejected_time=parse_time(text("rejected_time")),
        rejection_reason=text("rejection_reason"),
        email_delivery=text("email_delivery_status"),
        mobile_delivery=text("mobile_delivery_status"),
    )


def _field_value(fields: list, kind: str, where: str) -> str:
    for index, item in enumerate(fields):
        place = f"{where}.fields[{index}]"
        if optional(item, "type", "", provider=SCRIVE, where=place) == kind:
            return optional(item, "value", "", provider=SCRIVE, where=place)
    return ""


def snapshot(document, remote_id: str) -> RemoteSnapshot:
    parties = [p for p in parties_of(document) if not p.is_author]
    acting = [p for p in parties if p.role in ("signing_party", "approver")]
    current = min((p.order for p in acting if p.sign_time is None), default=0)
    return RemoteSnapshot(
        remote_id=remote_id,
        status=ENVELOPE_STATUS.get(status_of(document), ""),
        participants=tuple(_participant(p, current) for p in parties),
    )


def _participant(party: Party, current: int) -> RemoteParticipant:
    if party.rejected_time is not None:
        return RemoteParticipant(ref="", remote_id=party.signatory_id, status="declined",
                                 occurred_at=party.rejected_time, decline_reason=party.rejection_reason)
    if party.sign_time is not None:
        status = "approved" if party.role == "approver" else "signed"
        return RemoteParticipant(ref="", remote_id=party.signatory_id, status=status, occurred_at=party.sign_time)
    if party.seen_time is not None:
        return RemoteParticipant(ref="", remote_id=party.signatory_id, status="opened", occurred_at=party.seen_time)
    waiting = party.role != "viewer" and current and party.order > current
    return RemoteParticipant(ref="", remote_id=party.signatory_id, status="waiting" if waiting else "invited")


def signatory_ids(request: SendRequest, document) -> dict[str, str]:
    """Our participant ref → Scrive's signatory id: by e-mail or mobile, else by position."""
    parties = [p for p in parties_of(document) if not p.is_author]
    ids: dict[str, str] = {}
    unmatched = []
    for person in request.participants:
        match = next((p for p in parties if _same_contact(p, person)), None)
        if match is None:
            unmatched.append(person)
            continue
        parties.remove(match)
        ids[person.ref] = match.signatory_id
    for person, left in zip(unmatched, parties, strict=False):
        ids[person.ref] = left.signatory_id
    return ids


def _same_contact(party: Party, person: ParticipantSpec) -> bool:
    if person.email and party.email.lower() == person.email.lower():
        return True
    return bool(person.phone) and party.mobile == mobile(person.phone)


def parse_time(value: str) -> datetime | None:
    """Scrive's date-time ("2017-01-13T10:38:49.590815Z"); None when empty or unreadable."""
    if not value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

