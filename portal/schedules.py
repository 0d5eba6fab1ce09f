"""The recurring tasks every installation runs. Later features add theirs to SCHEDULES."""

from __future__ import annotations

from dataclasses import dataclass

from django_q.models import Schedule


@dataclass(frozen=True)
class Recurring:
    name: str
    func: str
    minutes: int


SCHEDULES = [
    Recurring(name="Clear expired sessions", func="portal.tasks.sessions_clear", minutes=24 * 60),
    Recurring(name="Retention purge", func="envelopes.tasks.retention_purge", minutes=60),
    Recurring(name="Sync envelopes with providers", func="envelopes.tasks.sync_with_providers", minutes=5),
    Recurring(name="Send due reminders", func="envelopes.tasks.send_due_reminders", minutes=15),
    Recurring(name="Expire envelopes", func="envelopes.tasks.expire_envelopes", minutes=15),
    Recurring(name="Warn senders before expiry", func="envelopes.tasks.warn_before_expiry", minutes=60),
    Recurring(name="Retry webhook deliveries", func="envelopes.tasks.retry_webhook_deliveries", minutes=5),
    Recurring(name="Resume stalled sends", func="envelopes.tasks.resume_stalled_sends", minutes=5),
    Recurring(name="Refresh provider tokens", func="providers.tasks.refresh_expiring_tokens", minutes=10),
    Recurring(name="Warn before connections expire", func="providers.tasks.warn_expiring_connections", minutes=60),
]


def schedules_ensure() -> list[str]:
    """Creates missing schedules; an operator's edits to existing ones (interval, next run) are kept.
    Returns the names created."""
    created = []
    for recurring in SCHEDULES:
        _, was_created = Schedule.objects.get_or_create(
            name=recurring.name,
            defaults={"func": recurring.func, "schedule_type": Schedule.MINUTES, "minutes": recurring.minutes},
        )
        if was_created:
            created.append(recurring.name)
    return created
