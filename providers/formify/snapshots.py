"""Reading Formify's answers: a document's status as Paraph's snapshot, which signee is which
participant, and what a reminder call did.

Reference: Formify API, "Get Document" (signeeDetails) and "Send Reminder".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.dateparse import parse_datetime

from providers.base import RemindResult, RemoteParticipant, RemoteSnapshot, SendRequest

# created/processing: accepted, invitations not out yet; deleted: nothing left to track.
ENVELOPE_STATUS = {
    "created": "sent",
    "processing": "sent",
    "awaiting_signatures": "sent",
    "completed": "completed",
    "revoked": "voided",
    "error": "failed",
}


def snapshot(document: dict) -> RemoteSnapshot:
    signees = document.get("signeeDetails") or []
    ordered = document.get("enableSigningOrder") or len({s.get("signingOrder") for s in signees}) > 1
    unsigned_orders = [s.get("signingOrder") or 0 for s in signees if s.get("signatureStatus") != "signed"]
    current = min(unsigned_orders, default=0)
    return RemoteSnapshot(
        remote_id=document["documentId"],
        status=ENVELOPE_STATUS.get(document.get("status"), ""),
        participants=tuple(_participant(signee, ordered, current) for signee in signees),
    )


def _participant(signee: dict, ordered: bool, current: int) -> RemoteParticipant:
    if signee.get("signatureStatus") == "signed":
        return RemoteParticipant(
            ref="", remote_id=signee["signeeId"], status="signed", occurred_at=_time(signee.get("signedAt"))
        )
    waiting = ordered and (signee.get("signingOrder") or 0) > current
    return RemoteParticipant(ref="", remote_id=signee["signeeId"], status="waiting" if waiting else "invited")


def signee_ids(request: SendRequest, document: dict) -> dict[str, str]:
    """Our participant ref → Formify signeeId, matched by contact details, else by position."""
    signees = list(document.get("signeeDetails") or [])
    ids: dict[str, str] = {}
    unmatched = []
    for position, person in enumerate(request.participants):
        match = next((s for s in signees if _same_contact(s, person.email, person.phone)), None)
        if match is None:
            unmatched.append((position, person))
            continue
        signees.remove(match)
        ids[person.ref] = match["signeeId"]
    for (_, person), signee in zip(unmatched, signees, strict=False):
        ids[person.ref] = signee["signeeId"]
    return ids


def same_signees(request: SendRequest, document: dict) -> bool:
    signees = document.get("signeeDetails") or []
    if len(signees) != len(request.participants):
        return False
    return all(any(_same_contact(s, p.email, p.phone) for s in signees) for p in request.participants)


def _same_contact(signee: dict, email: str, phone: str) -> bool:
    if email and (signee.get("emailAddress") or "").lower() == email.lower():
        return True
    return bool(phone) and _digits(signee.get("phoneNumber")) == _digits(phone)


def _digits(phone: str | None) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


def remind_result(answer: dict, refs: dict[str, str], *, now: datetime) -> RemindResult:
    """`refs`: signeeId → our ref."""
    reminded = tuple(refs[item["signeeId"]] for item in answer.get("remindersSentTo", []) if item["signeeId"] in refs)
    not_reminded = {}
    waits = []
    for item in answer.get("remindersNotSentTo", []):
        ref = refs.get(item.get("signeeId"))
        if ref is None:
            continue
        wait = int(item.get("reminderCooldown") or 0)
        reason = (item.get("message") or "Formify did not send the reminder.").rstrip(".") + "."
        not_reminded[ref] = f"{reason} Next reminder possible in {in_words(wait)}." if wait else reason
        if wait:
            waits.append(wait)
    next_possible = now + timedelta(seconds=max(waits)) if waits else None
    return RemindResult(reminded=reminded, not_reminded=not_reminded, next_possible_at=next_possible)


def update_cooldown(document: dict, signee_id: str) -> int:
    for signee in document.get("signeeDetails") or []:
        if signee.get("signeeId") == signee_id:
            return int((signee.get("updates") or {}).get("updateCooldown") or 0)
    return 0


def in_words(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _time(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None
