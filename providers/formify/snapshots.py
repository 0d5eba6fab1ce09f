"""Reading Formify's answers: a document's status as Paraph's snapshot, which signee is which
participant, and what a reminder call did. Only fields the reference documents are read, each
through `providers.answers`, so a missing or changed field is an UnreadableAnswer naming it.

Reference: Formify API, "Get document details/status" (GET /docs/{documentId}) and "Send
reminders" (POST /docs/{documentId}/reminder).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils.dateparse import parse_datetime

from providers.answers import optional, required
from providers.base import RemindResult, RemoteParticipant, RemoteSnapshot, SendRequest

FORMIFY = "Formify"

# created/processing: accepted, invitations not out yet; deleted: nothing left to track. A status
# the reference does not list maps to nothing, so the envelope is left as it is.
ENVELOPE_STATUS = {
    "created": "sent",
    "processing": "sent",
    "awaiting_signatures": "sent",
    "completed": "completed",
    "revoked": "voided",
    "error": "failed",
}


@dataclass(frozen=True)
class Signee:
    """One entry of GET /docs/{documentId} → signeeDetails, as far as Paraph reads it."""

    signee_id: str
    signed: bool
    signed_at: datetime | None
    order: int
    full_name: str
    email: str
    phone: str
    update_cooldown: int


def status_of(document) -> str:
    """The document's Formify status (text; the caller maps values it does not know)."""
    return required(document, "status", provider=FORMIFY)


def signees_of(document) -> list[Signee]:
    listed = required(document, "signeeDetails", provider=FORMIFY, kind=list)
    return [_signee(entry, f"signeeDetails[{index}]") for index, entry in enumerate(listed)]


def _signee(entry, where: str) -> Signee:
    def text(key: str) -> str:
        return optional(entry, key, "", provider=FORMIFY, where=where)

    updates = optional(entry, "updates", {}, provider=FORMIFY, kind=dict, where=where)
    return Signee(
        signee_id=required(entry, "signeeId", provider=FORMIFY, where=where),
        # The reference lists signed | awaiting_signature; anything else is read as not signed.
        signed=required(entry, "signatureStatus", provider=FORMIFY, where=where) == "signed",
        signed_at=parse_time(optional(entry, "signedAt", None, provider=FORMIFY, kind=(str, int, float), where=where)),
        order=optional(entry, "signingOrder", 1, provider=FORMIFY, kind=int, where=where),
        full_name=text("fullName"),
        email=text("emailAddress"),
        phone=text("phoneNumber"),
        update_cooldown=optional(updates, "updateCooldown", 0, provider=FORMIFY, kind=int, where=f"{where}.updates"),
    )


def snapshot(document, remote_id: str) -> RemoteSnapshot:
    """The snapshot of document `remote_id` (the id Paraph asked for: the answer carries none)."""
    status = status_of(document)
    signees = signees_of(document)
    in_order = optional(document, "enableSigningOrder", False, provider=FORMIFY, kind=bool)
    ordered = in_order or len({s.order for s in signees}) > 1
    current = min((s.order for s in signees if not s.signed), default=0)
    return RemoteSnapshot(
        remote_id=remote_id,
        status=ENVELOPE_STATUS.get(status, ""),
        participants=tuple(_participant(signee, ordered, current) for signee in signees),
    )


def _participant(signee: Signee, ordered: bool, current: int) -> RemoteParticipant:
    if signee.signed:
        return RemoteParticipant(ref="", remote_id=signee.signee_id, status="signed", occurred_at=signee.signed_at)
    waiting = ordered and signee.order > current
    return RemoteParticipant(ref="", remote_id=signee.signee_id, status="waiting" if waiting else "invited")


def signee_ids(request: SendRequest, document) -> dict[str, str]:
    """Our participant ref → Formify signeeId, matched by contact details, else by position."""
    signees = signees_of(document)
    ids: dict[str, str] = {}
    unmatched = []
    for person in request.participants:
        match = next((s for s in signees if same_contact(s, person.email, person.phone)), None)
        if match is None:
            unmatched.append(person)
            continue
        signees.remove(match)
        ids[person.ref] = match.signee_id
    for person, signee in zip(unmatched, signees, strict=False):
        ids[person.ref] = signee.signee_id
    return ids


def same_signees(request: SendRequest, document) -> bool:
    signees = signees_of(document)
    if len(signees) != len(request.participants):
        return False
    return all(any(same_contact(s, p.email, p.phone) for s in signees) for p in request.participants)


def same_contact(signee: Signee, email: str, phone: str) -> bool:
    if email and signee.email.lower() == email.lower():
        return True
    return bool(phone) and _digits(signee.phone) == _digits(phone)


def _digits(phone: str | None) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


def remind_result(answer, refs: dict[str, str], *, now: datetime) -> RemindResult:
    """`refs`: signeeId → our ref."""
    sent = optional(answer, "remindersSentTo", [], provider=FORMIFY, kind=list)
    not_sent = optional(answer, "remindersNotSentTo", [], provider=FORMIFY, kind=list)
    reminded = []
    for index, item in enumerate(sent):
        signee_id = required(item, "signeeId", provider=FORMIFY, where=f"remindersSentTo[{index}]")
        if signee_id in refs:
            reminded.append(refs[signee_id])
    not_reminded = {}
    waits = []
    for index, item in enumerate(not_sent):
        where = f"remindersNotSentTo[{index}]"
        ref = refs.get(required(item, "signeeId", provider=FORMIFY, where=where))
        if ref is None:
            continue
        wait = optional(item, "reminderCooldown", 0, provider=FORMIFY, kind=int, where=where)
        message = optional(item, "message", "", provider=FORMIFY, where=where).strip()
        reason = (message or "Formify did not send the reminder.").rstrip(".") + "."
        not_reminded[ref] = f"{reason} Next reminder possible in {in_words(wait)}." if wait else reason
        if wait:
            waits.append(wait)
    next_possible = now + timedelta(seconds=max(waits)) if waits else None
    return RemindResult(reminded=tuple(reminded), not_reminded=not_reminded, next_possible_at=next_possible)


def update_cooldown(document, signee_id: str) -> int:
    return next((s.update_cooldown for s in signees_of(document) if s.signee_id == signee_id), 0)


def in_words(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def parse_time(value) -> datetime | None:
    """A Formify timestamp, whatever its form: the reference says only "string" (and "ISO 8601"
    for webhook dates). ISO with or without a zone (none: UTC), or Unix seconds or milliseconds,
    as a number or digits. Anything else is None, never an error."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        value = float(value.strip())
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > 10**11 else value  # milliseconds past 1973
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
