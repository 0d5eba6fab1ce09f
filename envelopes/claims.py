"""Claiming due envelopes for a background sweep, safely across many workers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from envelopes.models import Envelope, EnvelopeStatus


def claim_due(field: str, *, now: datetime, limit: int, lease: timedelta) -> Iterator[Envelope]:
    """Envelopes out for signature whose `field` (a due time) has passed, oldest first. Each is claimed
    by a compare-and-set that moves its due time `lease` ahead: of two workers only one gets it, and
    one that crashes delays the envelope instead of losing it. The caller sets the real next time."""
    due = Envelope.objects.filter(status=EnvelopeStatus.SENT, **{f"{field}__lte": now}).order_by(field)
    for pk, due_at in due.values_list("pk", field)[:limit]:
        claimed = Envelope.objects.filter(pk=pk, status=EnvelopeStatus.SENT, **{field: due_at}).update(
            **{field: now + lease}
        )
        if claimed:
            yield Envelope.objects.get(pk=pk)
