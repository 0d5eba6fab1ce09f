"""Claiming due envelopes for a background sweep, safely across many workers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db.models import QuerySet

from envelopes.models import Envelope, EnvelopeStatus


def envelopes_due(field: str, *, now: datetime) -> QuerySet[Envelope]:
    """Envelopes out for signature whose `field` (a due time) has passed, oldest first: what a sweep
    looks at (the partial indexes on status='sent' serve it)."""
    return Envelope.objects.filter(status=EnvelopeStatus.SENT, **{f"{field}__lte": now}).order_by(field)


def claim_due(field: str, *, now: datetime, limit: int, lease: timedelta) -> Iterator[Envelope]:
    """Envelopes out for signature whose `field` (a due time) has passed, oldest first. Each is claimed
    by a compare-and-set that moves its due time `lease` ahead: of two workers only one gets it, and
    one that crashes delays the envelope instead of losing it. The caller sets the real next time."""
    for pk, due_at in envelopes_due(field, now=now).values_list("pk", field)[:limit]:
        claimed = Envelope.objects.filter(pk=pk, status=EnvelopeStatus.SENT, **{field: due_at}).update(
            **{field: now + lease}
        )
        if claimed:
            yield Envelope.objects.get(pk=pk)
