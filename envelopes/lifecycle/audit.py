"""The audit trail: append-only, hash-chained events per envelope.

hash = sha256(prev_hash + canonical JSON of the event), where the canonical JSON has sorted
keys, no spaces and ISO-8601 UTC times. Anyone holding the events can recompute the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from envelopes.models import Envelope, EnvelopeEvent, EventSource, Participant


def canonical_json(event: EnvelopeEvent) -> str:
    occurred = event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = {
        "envelope": event.envelope_id,
        "participant": event.participant_ref or None,
        "kind": event.kind,
        "occurred_at": occurred,
        "source": event.source,
        "actor": event.actor_ref or None,
        "data": event.data,
        "remote_event_id": event.remote_event_id,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(event: EnvelopeEvent) -> str:
    return hashlib.sha256((event.prev_hash + canonical_json(event)).encode()).hexdigest()


def event_append(
    *,
    envelope: Envelope,
    kind: str,
    source: str = EventSource.USER,
    actor=None,
    participant: Participant | None = None,
    data: dict | None = None,
    remote_event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> EnvelopeEvent | None:
    """Appends one event at the head of the envelope's chain. Returns None when an event with
    the same `remote_event_id` is already recorded (providers deliver events twice)."""
    with transaction.atomic():
        # Lock the envelope row: appends to one envelope happen one at a time.
        head = Envelope.objects.select_for_update().values_list("last_event_hash", flat=True).get(pk=envelope.pk)
        seen = EnvelopeEvent.objects.filter(envelope=envelope, remote_event_id=remote_event_id)
        if remote_event_id and seen.exists():
            return None
        event = EnvelopeEvent(
            envelope=envelope,
            org_id=envelope.org_id,
            participant=participant,
            participant_ref=str(participant.pk) if participant else "",
            kind=kind,
            occurred_at=occurred_at or timezone.now(),
            source=source,
            actor=actor,
            actor_ref=str(actor.pk) if actor else "",
            data=data or {},
            remote_event_id=remote_event_id,
            prev_hash=head,
        )
        event.hash = event_hash(event)
        try:
            with transaction.atomic():
                event.save()
        except IntegrityError:
            if remote_event_id:
                return None
            raise
        Envelope.objects.filter(pk=envelope.pk).update(last_event_hash=event.hash)
        envelope.last_event_hash = event.hash
    return event


def changes(before: dict, after: dict) -> dict:
    """What differs between two snapshots of the same fields, as {field: {"from": old, "to": new}}
    with values JSON can hold (dates as ISO-8601, objects by their text): the data of an edit event."""
    return {
        key: {"from": _plain(before.get(key)), "to": _plain(value)}
        for key, value in after.items()
        if before.get(key) != value
    }


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return str(value)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_event_id: int | None = None
    problem: str = ""


def verify_chain(*, envelope: Envelope) -> ChainReport:
    """Recomputes every link; reports the first event whose hash or link does not match."""
    events = EnvelopeEvent.objects.filter(envelope=envelope).order_by("id").iterator()
    return chain_check(
        events, head=lambda: Envelope.objects.filter(pk=envelope.pk).values_list("last_event_hash", flat=True).first()
    )


def chain_check(events: Iterable[EnvelopeEvent], *, head: str | Callable[[], str | None] | None) -> ChainReport:
    """verify_chain over events already in hand (oldest first) and the envelope's head hash (or a
    callable that reads it once the events are checked); for sweeps that load many envelopes' events
    at once."""
    prev = ""
    checked = 0
    for event in events:
        checked += 1
        if event.prev_hash != prev:
            return ChainReport(False, checked, event.id, "does not follow the event before it (link broken)")
        if event_hash(event) != event.hash:
            return ChainReport(False, checked, event.id, "was changed after it was recorded (hash mismatch)")
        prev = event.hash
    if callable(head):
        head = head()
    if head != prev:
        return ChainReport(False, checked, None, "the newest event is missing (the chain ends early)")
    return ChainReport(True, checked)
