"""Formify webhook calls: checking they are genuine and reading their events.

Reference: Formify API, "Webhooks" — "Webhook Delivery Headers", "Webhook Signature Verification".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from django.utils.dateparse import parse_datetime
from django.utils.timezone import now

from providers.base import RemoteEvent, WebhookRefused

EVENT_TYPES = (
    "document.created",
    "document.opened",
    "document.signed",
    "document.completed",
    "document.revoked",
    "document.deleted",
)
# Formify's event types in Paraph's words; the status itself is re-read from Formify.
KINDS = {
    "document.created": "envelope.sent",
    "document.opened": "participant.opened",
    "document.signed": "participant.signed",
    "document.completed": "envelope.completed",
    "document.revoked": "envelope.voided",
    "document.deleted": "envelope.deleted",
}
TOLERANCE = 5 * 60  # seconds either side of our clock


def verify(body: bytes, headers, *, secret: str) -> None:
    """Raises WebhookRefused unless the HMAC over "{timestamp}.{raw body}" matches and is recent."""
    if not secret:
        raise WebhookRefused("This connection has no webhook secret; reconnect it.")
    stamp = headers.get("X-Formify-Timestamp", "")
    given = headers.get("X-Formify-Signature", "")
    try:
        age = abs(time.time() - int(stamp))
    except ValueError:
        raise WebhookRefused("The call has no valid timestamp.") from None
    if age > TOLERANCE:
        raise WebhookRefused("The call is too old (or from the future) to be trusted.")
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.strip().lower()):
        raise WebhookRefused("The call's signature does not match.")


def events(body: bytes) -> list[RemoteEvent]:
    """The event in a verified body (Formify sends one per call)."""
    try:
        event = json.loads(body)["event"]
        data = event.get("data") or {}
        return [
            RemoteEvent(
                event_id=str(event["eventId"]),
                remote_id=str(data["documentId"]),
                kind=KINDS.get(event.get("type"), event.get("type") or ""),
                occurred_at=parse_datetime(event.get("date") or "") or now(),
                data={"type": event.get("type"), "participant_remote_id": data.get("signeeId") or ""},
            )
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise WebhookRefused("The call's body is not a Formify event.") from None
