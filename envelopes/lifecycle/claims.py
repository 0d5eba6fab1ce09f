"""Claiming due envelopes for a background sweep, safely across many workers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet

from envelopes.models import Envelope, EnvelopeStatus


def envelopes_due(field: str, *, now: datetime) -> QuerySet[Envelope]:
    """Envelopes out for signature whose `field` (a due time) has passed, oldest first: what a sweep
    looks at (the partial indexes on status='sent' serve it)."""
    return Envelope.objects.filter(status=EnvelopeStatus.SENT, **{f"{field}__lte": now}).order_by(field)


def claim_due(field: str, *, now: datetime, limit: int, lease: timedelta) -> Iterator[Envelope]:
    """Envelopes out for signature whose `field` (a due time) has passed, oldest first, up to `limit`.

    The batch is claimed in one short transaction: the due rows are locked with SELECT … FOR UPDATE
    SKIP LOCKED (so a second worker takes the next ones instead of waiting) and their due time is
    moved `lease` ahead, which keeps every other worker off them after the commit. A worker that
    crashes delays its envelopes by the lease instead of losing them. The caller sets the real
    next time. (SQLite has no row locks; its transactions take the write lock when they begin, so
    two claims simply run one after the other.)"""
    with transaction.atomic():
        due = envelopes_due(field, now=now).select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:limit])
        if ids:
            Envelope.objects.filter(pk__in=ids).update(**{field: now + lease})
    if not ids:
        return
    claimed = Envelope.objects.in_bulk(ids)
    yield from (claimed[pk] for pk in ids if pk in claimed)
