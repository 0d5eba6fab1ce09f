"""Polling: envelopes out for signature are re-read from their provider at the provider's poll
interval, which repairs missed or late webhooks. Errors back off, rate limits are obeyed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from envelopes.incoming.apply import snapshot_apply
from envelopes.lifecycle.claims import claim_due
from envelopes.models import Envelope
from envelopes.outgoing.sending import provider_for
from providers.base import ProviderError

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)


def envelopes_sync_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Polls the envelopes that are due; returns how many statuses changed. Each envelope is claimed
    by a compare-and-set on its due time, so several workers never poll the same one twice."""
    now = now or timezone.now()
    changed = 0
    for envelope in claim_due("next_sync_at", now=now, limit=limit, lease=CLAIM_LEASE):
        changed += _sync(envelope, now)
    return changed


def _sync(envelope: Envelope, now: datetime) -> int:
    try:
        provider = provider_for(envelope)
    except ValidationError:
        _next(envelope, None, backoff=0)
        return 0
    if not provider.poll_interval:
        _next(envelope, None, backoff=0)
        return 0
    try:
        snapshot = provider.fetch(envelope.remote_id)
    except ProviderError as exc:
        backoff = _backoff(envelope, provider.poll_interval)
        wait = timedelta(seconds=exc.retry_after) if exc.retry_after else timedelta(seconds=backoff)
        log.info("envelope %s: poll failed (%s); next in %s", envelope.pk, exc.message, wait)
        _next(envelope, now + wait, backoff=backoff)
        return 0
    changed = snapshot_apply(envelope, snapshot)
    _next(envelope, now + timedelta(seconds=provider.poll_interval), backoff=0)
    return changed


def _backoff(envelope: Envelope, interval: int) -> int:
    """Twice the previous wait after each failed poll, up to MAX_BACKOFF."""
    previous = envelope.remote_state.get("poll_backoff") or interval
    return int(min(previous * 2, MAX_BACKOFF.total_seconds()))


def _next(envelope: Envelope, at: datetime | None, *, backoff: int) -> None:
    state = {**Envelope.objects.values_list("remote_state", flat=True).get(pk=envelope.pk), "poll_backoff": backoff}
    Envelope.objects.filter(pk=envelope.pk).update(next_sync_at=at, remote_state=state)
