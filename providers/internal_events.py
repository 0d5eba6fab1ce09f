"""Events from providers that run inside Paraph (built-in signing) take the same way in as any
webhook: each is stored as a delivery and applied by the one apply task — here at once, in this
process, once the change that caused it has committed. A failure leaves the delivery pending for
the retry sweep instead of losing the event."""

from __future__ import annotations

import json
import logging

from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from providers.base import RemoteEvent, UnreadableAnswer
from providers.webhooks import APPLY_TASK, delivery_store

log = logging.getLogger(__name__)


def events_report(provider_id: str, events: list[RemoteEvent]) -> None:
    """Stores each event and applies it now (call after the transaction that produced it commits)."""
    apply = import_string(APPLY_TASK)
    for event in events:
        delivery = delivery_store(provider_id, None, event, {}, events_body([event]))
        if delivery is None:
            continue  # reported before
        try:
            apply(delivery.pk)
        except Exception:  # noqa: BLE001 — the signer's action stands; the retry sweep applies it later
            log.exception("%s event %s: not applied yet", provider_id, event.event_id)


def events_body(events: list[RemoteEvent]) -> bytes:
    return json.dumps(
        [
            {
                "event_id": e.event_id,
                "remote_id": e.remote_id,
                "kind": e.kind,
                "occurred_at": e.occurred_at.isoformat(),
                "participant_ref": e.participant_ref,
                "data": e.data,
            }
            for e in events
        ]
    ).encode()


def events_parse(provider_name: str, body: bytes) -> list[RemoteEvent]:
    try:
        items = json.loads(body)
        return [
            RemoteEvent(
                event_id=item["event_id"],
                remote_id=item["remote_id"],
                kind=item["kind"],
                occurred_at=parse_datetime(item["occurred_at"]),
                participant_ref=item.get("participant_ref"),
                data=item.get("data") or {},
            )
            for item in items
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise UnreadableAnswer(provider_name, f"a stored event is malformed ({type(exc).__name__})") from None
