"""Envelopes brought to a status the way the portal does it (created as a draft, then moved by the
state machine), so that everything kept alongside them, like the count tables, is kept too."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from envelopes.lifecycle.states import envelope_transition
from envelopes.models import Envelope, EnvelopeStatus
from envelopes.services import envelope_create

E = EnvelopeStatus
# The steps from draft to each status.
PATHS = {
    E.DRAFT: [],
    E.QUEUED: [E.QUEUED],
    E.SENDING: [E.QUEUED, E.SENDING],
    E.SENT: [E.QUEUED, E.SENT],
    E.FAILED: [E.QUEUED, E.FAILED],
    E.COMPLETED: [E.QUEUED, E.SENT, E.COMPLETED],
    E.DECLINED: [E.QUEUED, E.SENT, E.DECLINED],
    E.VOIDED: [E.QUEUED, E.SENT, E.VOIDED],
    E.EXPIRED: [E.QUEUED, E.SENT, E.EXPIRED],
}


def envelope_through(
    org, actor, status: str, *, at: datetime | None = None, sent_at: datetime | None = None, **fields
) -> Envelope:
    """A new envelope moved to `status`: sent at `sent_at` (default `at`), finished at `at` (default
    now). `fields` are set on the draft first (provider, connection, expires_at, …)."""
    at = at or timezone.now()
    envelope = envelope_create(org=org, actor=actor, title=fields.pop("title", f"{status} envelope"))
    if fields:
        Envelope.objects.filter(pk=envelope.pk).update(**fields)
        envelope.refresh_from_db()
    for step in PATHS[status]:
        when = (sent_at or at) if step in (E.QUEUED, E.SENT) else at
        assert envelope_transition(envelope=envelope, to=step, at=when)
    return envelope
