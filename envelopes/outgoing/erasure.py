"""The audit chains of a batch of envelopes, changed in memory and written back with a few
statements: the retention purge's proof events appended at each head, personal data removed from
events and the chain relinked over the erased data. The caller holds the envelopes' row locks
(what event_append takes for a single event), so nobody appends to these chains meanwhile."""

from __future__ import annotations

from collections import defaultdict

from django.db import connection, models
from django.utils import timezone

from envelopes.lifecycle.audit import ChainReport, chain_check, event_hash
from envelopes.models import Envelope, EnvelopeEvent, EventSource

ERASED_NAME = "(erased)"
# Removed from every event's data (also inside nested dicts such as contact changes' old/new).
_EVENT_KEYS_ERASED = frozenset({"ip", "user_agent", "email", "phone", "personal_number"})
# In participant events these describe the person: the name is blanked, a decline reason removed.
_PARTICIPANT_EVENT_KEYS_ERASED = frozenset({"reason"})
# Rows per UPDATE when rewritten events are saved (each is a CASE over the rows it updates).
_UPDATE_ROWS = 100


class ChainBatch:
    """Reads the events of the envelopes in `loaded` (oldest first, one query); append() and erase()
    change chains in memory, save() writes new events, rewritten events and the new heads."""

    def __init__(self, *, loaded: list[Envelope]) -> None:
        self._events: dict[int, list[EnvelopeEvent]] = defaultdict(list)
        for event in EnvelopeEvent.objects.filter(envelope__in=[e.pk for e in loaded]).order_by("envelope", "id"):
            self._events[event.envelope_id].append(event)
        self._loaded = {e.pk for e in loaded}
        self._new: list[EnvelopeEvent] = []
        self._rewritten: dict[int, EnvelopeEvent] = {}
        self._heads: dict[int, Envelope] = {}

    def append(self, envelope: Envelope, *, kind: str, data: dict) -> None:
        """A system event at the head of the envelope's chain (as event_append would write it)."""
        event = EnvelopeEvent(
            envelope=envelope,
            org_id=envelope.org_id,
            kind=kind,
            occurred_at=timezone.now(),
            source=EventSource.SYSTEM,
            data=data,
            prev_hash=envelope.last_event_hash,
        )
        event.hash = event_hash(event)
        envelope.last_event_hash = event.hash
        self._new.append(event)
        self._heads[envelope.pk] = envelope
        if envelope.pk in self._loaded:
            self._events[envelope.pk].append(event)

    def erase(self, envelope: Envelope) -> tuple[ChainReport, int, str]:
        """Removes personal data from the envelope's events; relinks the chain when it verified before.
        Returns the check made before, how many events were rewritten and the head afterwards."""
        events = self._events[envelope.pk]
        before = chain_check(events, head=envelope.last_event_hash)
        prev, rewritten = "", 0
        for event in events:
            data = _scrub(event.data, participant_event=event.kind.startswith("participant."))
            changed = data != event.data
            event.data = data
            if before.ok and (changed or event.prev_hash != prev):
                event.prev_hash = prev
                event.hash = event_hash(event)
                changed = True
            if changed:
                rewritten += 1
                if event.pk is not None:
                    self._rewritten[event.pk] = event
            prev = event.hash
        if before.ok:
            envelope.last_event_hash = prev
            self._heads[envelope.pk] = envelope
        return before, rewritten, envelope.last_event_hash

    def save(self) -> None:
        _rows_update(EnvelopeEvent, list(self._rewritten.values()), ["data", "prev_hash", "hash"])
        EnvelopeEvent.objects.bulk_create(self._new, batch_size=1000)
        _rows_update(Envelope, list(self._heads.values()), ["last_event_hash"])


def _rows_update(model, objects: list, fields: list[str]) -> None:
    """Saves `fields` of each object, each row its own values. On PostgreSQL that is one UPDATE from
    arrays (bulk_update's CASE per row costs more to build in Python than the whole purge of the
    batch otherwise does); elsewhere bulk_update."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, fields, batch_size=_UPDATE_ROWS)
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [model._meta.get_field(name) for name in fields]
    arrays = ", ".join(f"unnest(%s::{_ARRAY_TYPES[type(field)]}) AS {field.column}" for field in columns)
    assignments = ", ".join(f"{field.column} = v.{field.column}" for field in columns)
    values = [[obj.pk for obj in objects]]
    for field in columns:
        values.append([field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objects])
    values = [values[0]] + [[_plain(value) for value in column] for column in values[1:]]
    rows = f"SELECT unnest(%s::bigint[]) AS id, {arrays}"
    sql = f"UPDATE {table} AS t SET {assignments} FROM ({rows}) AS v WHERE t.id = v.id"  # noqa: S608 (model's names)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def _plain(value):
    """JSON adapted for the driver goes in as its text (cast to jsonb by the array type)."""
    return value.dumps(value.obj) if hasattr(value, "dumps") else value


_ARRAY_TYPES = {models.JSONField: "jsonb[]", models.CharField: "text[]"}


def _scrub(value, *, participant_event: bool):
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if key in _EVENT_KEYS_ERASED or (participant_event and key in _PARTICIPANT_EVENT_KEYS_ERASED):
                continue
            if participant_event and key == "name":
                kept[key] = ERASED_NAME
                continue
            kept[key] = _scrub(item, participant_event=participant_event)
        return kept
    if isinstance(value, list):
        return [_scrub(item, participant_event=participant_event) for item in value]
    return value
