"""Automatic reminders: first after X days, then every Y days, at most Z per participant (the
envelope's policy, copied from its organization or template), through each provider's own
reminder call and within its cooldowns."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from envelopes.lifecycle.claims import claim_due
from envelopes.models import Envelope
from envelopes.services import participants_due, participants_remind
from providers.base import ProviderError

log = logging.getLogger(__name__)

# A claimed envelope is not due again for this long, so a crashed worker delays it, never loses it.
CLAIM_LEASE = timedelta(minutes=10)
COOLDOWN_FALLBACK = timedelta(hours=1)
PROVIDER_DOWN_RETRY = timedelta(minutes=15)


def reminders_send_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Sends the reminders that are due; returns how many participants were reminded. Safe with many
    workers: the batch is claimed in one short transaction (claim_due), then each envelope is
    reminded on its own, outside any transaction, since that is a provider call."""
    now = now or timezone.now()
    reminded = 0
    for envelope in claim_due("next_reminder_at", now=now, limit=limit, lease=CLAIM_LEASE):
        reminded += _remind(envelope, now)
    return reminded


def _remind(envelope: Envelope, now: datetime) -> int:
    people = [p for p in participants_due(envelope) if p.reminders_sent < envelope.reminder_max]
    if not people:
        _reschedule(envelope, None)
        return 0
    try:
        outcome = participants_remind(envelope=envelope, people=people)
    except ProviderError as exc:
        # A rate limit or an outage: try again later, nothing is lost.
        log.info("envelope %s: reminder postponed: %s", envelope.pk, exc.message)
        later = timedelta(seconds=exc.retry_after) if exc.retry_after else PROVIDER_DOWN_RETRY
        _reschedule(envelope, now + later)
        return 0
    except ValidationError:
        _reschedule(envelope, None)  # this provider does not remind through Paraph
        return 0
    if outcome.not_reminded:
        # Some were inside the provider's cooldown: come back when it allows.
        _reschedule(envelope, outcome.next_possible_at or now + COOLDOWN_FALLBACK)
    elif any(p.reminders_sent + 1 < envelope.reminder_max for p in people):
        _reschedule(envelope, now + timedelta(days=envelope.reminder_every_days))
    else:
        _reschedule(envelope, None)
    return len(outcome.reminded)


def _reschedule(envelope: Envelope, at: datetime | None) -> None:
    Envelope.objects.filter(pk=envelope.pk).update(next_reminder_at=at)
