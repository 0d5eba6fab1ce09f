"""The one place statuses change. Each change is a compare-and-set on the old status and
appends an audit event; a disallowed or backwards change does nothing and returns False, so
late, repeated or out-of-order provider events can never move an envelope backwards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from envelopes.lifecycle.audit import event_append
from envelopes.lifecycle.counts import counts_moved
from envelopes.models import (
    Envelope,
    EnvelopeStatus,
    EventSource,
    Participant,
    ParticipantRole,
    ParticipantStatus,
)

E = EnvelopeStatus
ENVELOPE_TRANSITIONS: dict[str, frozenset[str]] = {
    E.DRAFT: frozenset({E.QUEUED}),
    E.QUEUED: frozenset({E.SENDING, E.SENT, E.FAILED, E.VOIDED}),
    E.SENDING: frozenset({E.SENT, E.FAILED, E.QUEUED}),
    E.SENT: frozenset({E.COMPLETED, E.DECLINED, E.VOIDED, E.EXPIRED}),
    E.FAILED: frozenset({E.QUEUED, E.VOIDED}),
    E.COMPLETED: frozenset(),
    E.DECLINED: frozenset(),
    E.VOIDED: frozenset(),
    E.EXPIRED: frozenset(),
}
TERMINAL = frozenset({E.COMPLETED, E.DECLINED, E.VOIDED, E.EXPIRED})
# Timestamp fields stamped when an envelope reaches a status.
ENVELOPE_STAMPS = {E.SENT: "sent_at", E.COMPLETED: "completed_at", E.VOIDED: "voided_at"}

P = ParticipantStatus
# Participants only move forward; a later stage may arrive before an earlier one.
PARTICIPANT_RANK = {P.WAITING: 0, P.INVITED: 1, P.OPENED: 2, P.SIGNED: 3, P.APPROVED: 3, P.DECLINED: 3}
PARTICIPANT_FINAL_BY_ROLE = {
    ParticipantRole.SIGNER: {P.SIGNED, P.DECLINED},
    ParticipantRole.APPROVER: {P.APPROVED, P.DECLINED},
    ParticipantRole.VIEWER: set(),  # viewers end at invited or opened
}
PARTICIPANT_STAMPS = {
    P.INVITED: "invited_at",
    P.OPENED: "opened_at",
    P.SIGNED: "signed_at",
    P.APPROVED: "signed_at",
    P.DECLINED: "declined_at",
}


def envelope_can_move(old: str, new: str) -> bool:
    return new in ENVELOPE_TRANSITIONS.get(old, frozenset())


def participant_can_move(role: str, old: str, new: str) -> bool:
    if PARTICIPANT_RANK[new] <= PARTICIPANT_RANK[old] or PARTICIPANT_RANK[old] == 3:
        return False
    return PARTICIPANT_RANK[new] < 3 or new in PARTICIPANT_FINAL_BY_ROLE[role]


def _compare_and_set(
    row, *, old: str, to: str, fields: dict, event: dict, counted: Callable[[], None] | None = None
) -> bool:
    """Writes `to` (and `fields`) only if the row still has `old`, and appends its event in the same
    transaction; `counted` then updates the count tables, last, so their shared rows stay locked
    only until the commit. A provider event already recorded undoes the write: a redelivery
    changes nothing."""
    with transaction.atomic():
        won = type(row).objects.filter(pk=row.pk, status=old).update(status=to, **fields)
        if won != 1:
            return False
        extra = event.pop("data") or {}
        if event_append(**event, data={"from": old, **extra}) is None:
            transaction.set_rollback(True)
            return False
        if counted is not None:
            counted()
    row.status = to
    for name, value in fields.items():
        setattr(row, name, value)
    return True


def envelope_transition(
    *,
    envelope: Envelope,
    to: str,
    source: str = EventSource.SYSTEM,
    actor=None,
    data: dict | None = None,
    remote_event_id: str | None = None,
    at: datetime | None = None,
    **fields,
) -> bool:
    """Moves `envelope` to `to` if allowed from its current status; extra `fields` are written in
    the same update. Returns False (and changes nothing) when not allowed or another writer won."""
    old = envelope.status
    if not envelope_can_move(old, to):
        return False
    at = at or timezone.now()
    if to in ENVELOPE_STAMPS:
        fields.setdefault(ENVELOPE_STAMPS[to], at)
    event = {
        "envelope": envelope,
        "kind": f"envelope.{to}",
        "source": source,
        "actor": actor,
        "data": data,
        "remote_event_id": remote_event_id,
        "occurred_at": at,
    }
    return _compare_and_set(
        envelope,
        old=old,
        to=to,
        fields={**fields, "updated_at": timezone.now()},
        event=event,
        counted=lambda: counts_moved(envelope, old=old, to=to, at=at),
    )


def participant_transition(
    *,
    participant: Participant,
    to: str,
    source: str = EventSource.SYSTEM,
    actor=None,
    data: dict | None = None,
    remote_event_id: str | None = None,
    at: datetime | None = None,
    **fields,
) -> bool:
    """The participant twin of `envelope_transition`: forward only, by role."""
    old = participant.status
    if not participant_can_move(participant.role, old, to):
        return False
    at = at or timezone.now()
    stamp = PARTICIPANT_STAMPS.get(to)
    if stamp:
        fields.setdefault(stamp, at)
    event = {
        "envelope": participant.envelope,
        "participant": participant,
        "kind": f"participant.{to}",
        "source": source,
        "actor": actor,
        "data": data,
        "remote_event_id": remote_event_id,
        "occurred_at": at,
    }
    return _compare_and_set(participant, old=old, to=to, fields=fields, event=event)
