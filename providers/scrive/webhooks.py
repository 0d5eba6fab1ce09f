"""Scrive's document callbacks: read, never trusted.

Reference: Scrive Document API v2, "Callbacks" — an unsigned form POST to the document's
`api_callback_url` with `document_id`, `document_json` and `document_signed_and_sealed`, retried
(first after 5 minutes, 10 attempts), duplicates normal, and saying nothing about *what* changed.

The URL carries the connection's secret (checked by the intake view). Nothing in the body is
applied: the event only names the document, which is then re-read from Scrive. The claimed status
in `document_json` only picks the event's name (so that Paraph re-reads on every kind of change);
the event id is the document and its `object_version`, so the duplicates Scrive sends are stored
once while each real change is a new event.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qs

from django.utils import timezone

from providers.base import RemoteEvent, WebhookRefused

# The status a callback claims → the event it is filed as. Every one of them makes Paraph re-read
# the document; a status not listed (preparation, rejected, timedout, …) is a change "while out".
KINDS = {"closed": "envelope.completed", "canceled": "envelope.voided"}
CHANGED = "envelope.sent"


def events(body: bytes) -> list[RemoteEvent]:
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    document_id = (form.get("document_id") or [""])[0].strip()
    if not document_id.isdigit():
        raise WebhookRefused("The call is not a Scrive document callback (no document_id).")
    claimed = _claimed(form)
    status = claimed.get("status") if isinstance(claimed.get("status"), str) else ""
    version = claimed.get("object_version")
    sealed = (form.get("document_signed_and_sealed") or [""])[0]
    if isinstance(version, int) and claimed.get("id") == document_id:
        event_id = f"{document_id}:{version}:{sealed}"
    else:  # an unreadable document_json: the body itself tells duplicates apart
        event_id = f"{document_id}:{hashlib.sha256(body).hexdigest()[:32]}"
    return [
        RemoteEvent(
            event_id=event_id,
            remote_id=document_id,
            kind=KINDS.get(status, CHANGED),
            occurred_at=timezone.now(),
            data={"type": f"callback:{status or 'unknown'}"},
        )
    ]


def _claimed(form: dict) -> dict:
    try:
        document = json.loads((form.get("document_json") or ["{}"])[0])
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}
