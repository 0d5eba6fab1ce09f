"""Signer tracking: everyone whose turn it is across the organization's envelopes, who was invited
when, opened when, reminded how often and when the next reminder goes; and reminding a selection.

Each order the table offers walks an index from where the first row can be (see
`participants_waiting`), so a page costs the same at any size; pages are numbered and capped
rather than counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from envelopes.models import EnvelopeStatus, Participant
from envelopes.outgoing.sending import provider_for
from envelopes.reads.attention import participants_waiting
from envelopes.reads.dashboard import account_name
from envelopes.services import participants_due, participants_remind
from portal.kernel.tenancy import org_scoped
from portal.models import Organization
from providers.base import ProviderError

# sort name → (ordering, label). Each walks an index in order: Participant's participant_waiting,
# or Envelope's envelope_org_expiring. (The provider filter starts from envelope_org_account_out.)
SORTS = {
    "waiting": (("waiting_since", "id"), "Waiting longest"),
    "recent": (("-waiting_since", "-id"), "Invited most recently"),
    "expiring": (("envelope__expires_at", "envelope_id", "id"), "Expiring soonest"),
}
# What a row shows; whole rows would also decode each envelope's JSON state and the connection's secrets.
ROW_FIELDS = [
    *("name", "email", "phone", "status", "role", "invited_at", "opened_at", "reminders_sent", "envelope_id"),
    *("envelope__title", "envelope__status", "envelope__provider", "envelope__expires_at"),
    *("envelope__next_reminder_at", "envelope__reminder_max", "envelope__connection__label"),
]
OVERDUE_AFTER = timedelta(days=7)
PAGE_SIZE = 50
MAX_PAGES = 40  # past this, narrow the table with its filters
REMIND_LIMIT = 100


@dataclass(frozen=True)
class TrackingRow:
    person: Participant
    account: str  # the provider account's name
    next_reminder_at: datetime | None  # None: no more automatic reminders
    overdue: bool


@dataclass(frozen=True)
class TrackingPage:
    rows: list[TrackingRow]
    number: int
    has_next: bool


def participants_outstanding(
    org: Organization, *, account: str = "", overdue: bool = False, sort: str = "waiting"
) -> QuerySet[Participant]:
    """Participants whose turn it is in envelopes out for signature. `account` is a breakdown key
    ("provider:connection id", 0 for none); `overdue` keeps those waiting more than OVERDUE_AFTER."""
    people = participants_waiting(org)
    provider, _, connection = account.partition(":")
    if provider and connection.isdigit():
        people = people.filter(envelope__provider=provider, envelope__connection_id=int(connection) or None)
    if overdue:
        # waiting_since < then, spelled out on the plain columns: as a second bound on the index the
        # planner would misjudge how many rows remain and sort them all instead of walking in order.
        then = timezone.now() - OVERDUE_AFTER
        people = people.filter(Q(invited_at__lt=then) | Q(invited_at=None, opened_at__lt=then))
    ordering = SORTS.get(sort, SORTS["waiting"])[0]
    return people.select_related("envelope", "envelope__connection").only(*ROW_FIELDS).order_by(*ordering)


def tracking_page(org: Organization, *, page: int = 1, **filters) -> TrackingPage:
    number = min(max(page, 1), MAX_PAGES)
    start = (number - 1) * PAGE_SIZE
    people = list(participants_outstanding(org, **filters)[start : start + PAGE_SIZE + 1])
    rows = [tracking_row(person) for person in people[:PAGE_SIZE]]
    return TrackingPage(rows, number, len(people) > PAGE_SIZE and number < MAX_PAGES)


def tracking_row(person: Participant) -> TrackingRow:
    envelope = person.envelope
    # Automatic reminders stop at the envelope's maximum per participant.
    next_at = envelope.next_reminder_at if person.reminders_sent < envelope.reminder_max else None
    since = person.invited_at or person.opened_at
    overdue = since is not None and since < timezone.now() - OVERDUE_AFTER
    return TrackingRow(person, account_name(envelope), next_at, overdue)


@dataclass
class RemindReport:
    reminded: list[str] = field(default_factory=list)  # names
    not_reminded: list[tuple[str, str]] = field(default_factory=list)  # (name, why)


def tracking_remind(*, org: Organization, participant_ids: list[int], actor) -> RemindReport:
    """Reminds the chosen participants through each envelope's provider, within its cooldowns.
    Returns who was reminded and, for everyone else, why not, in a sentence."""
    report = RemindReport()
    people = (
        org_scoped(Participant, org)
        .filter(pk__in=participant_ids[:REMIND_LIMIT])
        .select_related("envelope")
        .order_by("envelope_id", "id")
    )
    for _, group in groupby(people, key=lambda p: p.envelope_id):
        _remind_envelope(list(group), actor, report)
    return report


def _remind_envelope(group: list[Participant], actor, report: RemindReport) -> None:
    envelope = group[0].envelope
    due = {p.pk for p in participants_due(envelope)} if envelope.status == EnvelopeStatus.SENT else set()
    chosen = [p for p in group if p.pk in due]
    for person in group:
        if person.pk not in due:
            report.not_reminded.append((person.name, _why_not_due(person)))
    if not chosen:
        return
    try:
        outcome = participants_remind(envelope=envelope, people=chosen, actor=actor)
    except ValidationError as exc:
        report.not_reminded += [(person.name, " ".join(exc.messages)) for person in chosen]
        return
    except ProviderError as exc:
        why = f"{provider_for(envelope).name} did not send the reminder: {exc.message}"
        report.not_reminded += [(person.name, why) for person in chosen]
        return
    report.reminded += [person.name for person in outcome.reminded]
    report.not_reminded += list(outcome.not_reminded.items())


def _why_not_due(person: Participant) -> str:
    if person.envelope.status != EnvelopeStatus.SENT:
        return f"“{person.envelope.title}” is no longer out for signature."
    if person.status in ("signed", "approved", "declined"):
        return "They have already finished."
    return "It is not their turn yet." if person.status == "waiting" else "Viewers are not reminded."
