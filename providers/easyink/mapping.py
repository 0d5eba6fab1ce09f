"""EasyInk's statuses and answers → Paraph's DTOs, in tables (one place to fix a spelling).

Reference: EasyInk Public API, "Get signing session" (SigningView).
"""

from __future__ import annotations

import logging
from datetime import datetime

from providers.answers import items, optional, required
from providers.base import RemoteParticipant, RemoteSnapshot

log = logging.getLogger(__name__)
NAME = "EasyInk"

# A session still being built or not yet started counts as sent for a snapshot: the envelope is
# out of the sender's hands either way, and nothing moves back.
SESSION_STATUS = {
    "Draft": "sent",
    "ReadyToStart": "sent",
    "Pending": "sent",
    "InProgress": "sent",
    "Finished": "completed",
    "Declined": "declined",
    "Voided": "voided",
    "Expired": "expired",
}
PARTICIPANT_STATUS = {
    "Draft": "waiting",
    "Waiting": "waiting",
    "Invited": "invited",
    "Opened": "opened",
    "Signed": "signed",
    "Declined": "declined",
}
READY = "Ready"


def session_status(view: dict) -> str:
    return required(view, "status", provider=NAME)


def snapshot(view: dict, remote_id: str) -> RemoteSnapshot:
    """The session as Paraph sees it. A finished session whose signed copies or all-in-one PDF are
    still being made stays *sent* (everyone signed) until they are ready, so *completed* never
    shows without its PDF. A status EasyInk adds later is logged and changes nothing."""
    status = session_status(view)
    ours = SESSION_STATUS.get(status)
    if ours is None:
        log.warning("EasyInk session %s has a status Paraph does not know: %r", remote_id, status)
        ours = "sent"
    if ours == "completed" and not outputs_ready(view):
        ours = "sent"
    people = items(optional(view, "participants", [], provider=NAME, kind=list), provider=NAME, where="participants")
    participants = tuple(_participant(person, index) for index, person in enumerate(people))
    return RemoteSnapshot(remote_id=remote_id, status=ours, participants=participants)


def _participant(person, index: int) -> RemoteParticipant:
    where = f"participants[{index}]"
    remote_id = required(person, "participantId", provider=NAME, where=where)
    status = optional(person, "status", "", provider=NAME, where=where)
    ours = PARTICIPANT_STATUS.get(status)
    if ours is None:
        log.warning("EasyInk participant %s has a status Paraph does not know: %r", remote_id, status)
        ours = "invited"
    signed_at = _time(optional(person, "signedAt", None, provider=NAME, where=where))
    return RemoteParticipant(ref="", status=ours, occurred_at=signed_at if ours == "signed" else None,
                             remote_id=remote_id)


def outputs_ready(view: dict) -> bool:
    everything = optional(view, "allInOneDocument", None, provider=NAME, kind=dict)
    if everything is None or optional(everything, "status", "", provider=NAME, where="allInOneDocument") != READY:
        return False
    return all(status == READY for _id, _title, status in signed_documents(view))


def signed_documents(view: dict) -> list[tuple[str, str, str]]:
    """(signedDocumentId, title, processingStatus) of each signed copy."""
    listed = items(optional(view, "signedDocuments", [], provider=NAME, kind=list), provider=NAME,
                   where="signedDocuments")
    found = []
    for index, document in enumerate(listed):
        where = f"signedDocuments[{index}]"
        found.append((
            required(document, "signedDocumentId", provider=NAME, where=where),
            optional(document, "title", "", provider=NAME, where=where),
            optional(document, "processingStatus", "", provider=NAME, where=where),
        ))
    return found


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
