"""Formify webhook calls: checking they are genuine and reading their events.

Reference: Formify API, "Webhooks" — "Webhook Delivery Headers", "Webhook Signature Verification",
"Retry Attempts", "Idempotency".

Late retries and replays. Formify retries a delivery up to five times, the last ~24 hours after
the event. The reference describes X-Formify-Timestamp as "Unix timestamp (seconds) of when the
event was sent" — the moment of sending, which for a retry is the retry — while the body's `date`
is "the date and time the event was triggered". Each attempt is therefore signed afresh over
"{timestamp}.{raw_body}", and Paraph judges freshness by the signed timestamp alone:

- a genuine retry a day after the event carries a fresh timestamp and a valid signature, so it
  is accepted however old its `date` is (and stored once: deliveries are deduplicated by
  eventId per connection);
- a captured delivery sent again later carries its old timestamp, which cannot be changed
  without breaking the signature: refused (401) once it is older than TOLERANCE;
- within TOLERANCE a replay is possible, and harmless: its eventId is already stored.

The event's `date` is never used to refuse a call.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from django.utils.timezone import now

from providers.base import RemoteEvent, WebhookRefused
from providers.formify.snapshots import parse_time

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
TOLERANCE = 5 * 60  # seconds either side of our clock, for the signing timestamp (see above)


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
    if not hmac.compare_digest(expected.encode(), given.strip().lower().encode()):
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
                occurred_at=parse_time(event.get("date")) or now(),
                data={"type": event.get("type"), "participant_remote_id": data.get("signeeId") or ""},
            )
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise WebhookRefused("The call's body is not a Formify event.") from None
