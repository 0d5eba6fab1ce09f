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
