"""Polling: envelopes out for signature are re-read from their provider at the provider's poll
interval, which repairs missed or late webhooks. Errors back off, rate limits are obeyed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from envelopes.incoming.apply import snapshot_apply
from envelopes.incoming.problems import READ_ERROR, unexpected_error
from envelopes.lifecycle.claims import claim_due
from envelopes.models import Envelope
from envelopes.outgoing.sending import provider_for
from providers.base import ProviderError, UnreadableAnswer

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)


def envelopes_sync_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Polls the envelopes that are due; returns how many statuses changed. Each envelope is claimed
    by a compare-and-set on its due time, so several workers never poll the same one twice. One
    envelope whose provider answers something unforeseen is marked and backed off; the others go on."""
    now = now or timezone.now()
    changed = 0
    for envelope in claim_due("next_sync_at", now=now, limit=limit, lease=CLAIM_LEASE):
        try:
            changed += _sync(envelope, now)
        except Exception as exc:  # noqa: BLE001 — never let one envelope stop the sweep
            message = unexpected_error(envelope.provider, exc, f"envelope {envelope.pk} poll")
            backoff = _backoff(envelope, 15 * 60)
            _next(envelope, now + timedelta(seconds=backoff), backoff=backoff, error=message)
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
        _next(envelope, now + wait, backoff=backoff, error=exc.message if isinstance(exc, UnreadableAnswer) else "")
        return 0
    changed = snapshot_apply(envelope, snapshot)
    _next(envelope, now + timedelta(seconds=provider.poll_interval), backoff=0)
    return changed


def _backoff(envelope: Envelope, interval: int) -> int:
    """Twice the previous wait after each failed poll, up to MAX_BACKOFF."""
    previous = envelope.remote_state.get("poll_backoff") or interval
    return int(min(previous * 2, MAX_BACKOFF.total_seconds()))


def _next(envelope: Envelope, at: datetime | None, *, backoff: int, error: str = "") -> None:
    """Schedules the next poll; `error` (shown on the envelope page) is kept until a poll succeeds."""
    state = {**Envelope.objects.values_list("remote_state", flat=True).get(pk=envelope.pk), "poll_backoff": backoff}
    if error:
        state[READ_ERROR] = error
    elif backoff == 0:
        state.pop(READ_ERROR, None)
    Envelope.objects.filter(pk=envelope.pk).update(next_sync_at=at, remote_state=state)
