"""Reads for the organization dashboard: envelopes per status, what finished in a period, the
breakdown by provider account, weekly series and what needs attention.

Counts come from the count tables kept by the status writer (`envelopes.lifecycle.counts`), never from
counting envelopes, so the dashboard costs the same at ten envelopes and at a million.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import DateField, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from envelopes.lifecycle.count_tables import EnvelopeDailyCount, EnvelopeStatusCount
from envelopes.lifecycle.counts import DURATION_EDGES, TOOK
from envelopes.models import EnvelopeStatus
from envelopes.reads.attention import bounced_count, envelopes_expiring, participants_waiting_for
from portal.kernel.tenancy import org_scoped
from portal.models import Organization
from providers.models import ConnectionStatus, ProviderConnection
from providers.registry import provider_class, provider_exists

E = EnvelopeStatus
PERIODS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "all": "All time"}
DEFAULT_PERIOD = "30"
FINISHED = (E.COMPLETED, E.DECLINED, E.VOIDED, E.EXPIRED)
PENDING = (E.QUEUED, E.SENDING, E.SENT)
WEEKS = 12


@dataclass
class Account:
    """One row of the breakdown: Paraph signing, or one provider connection."""

    provider: str
    connection_key: int
    name: str
    provider_name: str
    needs_reconnect: bool = False
    now: Counter = field(default_factory=Counter)  # envelopes per status today
    finished: Counter = field(default_factory=Counter)  # finished in the period, per status

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.connection_key}"

    @property
    def completion_rate(self) -> float | None:
        """Completed among those that finished in the period (None when none did)."""
        ended = sum(self.finished[status] for status in FINISHED)
        return self.finished[E.COMPLETED] / ended if ended else None


@dataclass(frozen=True)
class Attention:
    failed: int
    bounced: int
    reconnect: int
    expiring: int

    @property
    def total(self) -> int:
        return self.failed + self.bounced + self.reconnect + self.expiring


@dataclass(frozen=True)
class Overview:
    period: str
    statuses: Counter  # envelopes per status today
    finished: Counter  # finished in the period, per status
    median_hours: float | None  # time to complete, of those completed in the period
    accounts: list[Account]
    attention: Attention
    waiting_for_me: int

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def pending(self) -> bool:
        """Something may still change by itself (a send in progress, signatures awaited)."""
        return any(self.statuses[status] for status in PENDING)


@dataclass(frozen=True)
class Week:
    start: date
    sent: int
    completed: int
    median_hours: float | None


def period_start(period: str, *, today: date | None = None) -> date | None:
    """The first day a period covers (None: all time)."""
    if period == "all":
        return None
    return (today or timezone.localdate()) - timedelta(days=int(period) - 1)


def dashboard_overview(org: Organization, user, *, period: str = DEFAULT_PERIOD) -> Overview:
    period = period if period in PERIODS else DEFAULT_PERIOD
    accounts = _accounts(org)
    statuses: Counter = Counter()
    for provider, key, status, n in org_scoped(EnvelopeStatusCount, org).values_list(
        "provider", "connection_key", "status", "n"
    ):
        statuses[status] += n
        if status != E.DRAFT:
            _account(accounts, provider, key).now[status] += n
    finished, durations = _count_finished(org, period, accounts)
    return Overview(
        period=period,
        statuses=statuses,
        finished=finished,
        median_hours=median_hours(durations),
        accounts=_sorted(accounts),
        attention=Attention(
            failed=statuses[E.FAILED],
            bounced=bounced_count(org),
            reconnect=sum(a.needs_reconnect for a in accounts.values()),
            expiring=envelopes_expiring(org).count(),
        ),
        waiting_for_me=participants_waiting_for(org, user).count(),
    )


def finished_by_account(org: Organization, *, period: str = DEFAULT_PERIOD) -> list[Account]:
    """The accounts with what finished through each in the period (for the completion rates)."""
    accounts = _accounts(org)
    _count_finished(org, period if period in PERIODS else DEFAULT_PERIOD, accounts)
    return _sorted(accounts)


def _count_finished(org: Organization, period: str, accounts: dict) -> tuple[Counter, Counter]:
    """What finished in the period, per status (also added to each account), and the durations of
    the completions (histogram buckets)."""
    finished: Counter = Counter()
    durations: Counter = Counter()
    for provider, key, kind, bucket, n in _daily(org, since=period_start(period), kinds=[*FINISHED, TOOK]):
        if kind == TOOK:
            durations[bucket] += n
            continue
        finished[kind] += n
        _account(accounts, provider, key).finished[kind] += n
    return finished, durations


def weekly_series(org: Organization, *, weeks: int = WEEKS, today: date | None = None) -> list[Week]:
    """Envelopes sent and completed, and the median time to complete, per week (Monday first) for
    the last `weeks` weeks, this one included."""
    today = today or timezone.localdate()
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    sent: Counter = Counter()
    completed: Counter = Counter()
    durations: dict[date, Counter] = {}
    rows = (
        org_scoped(EnvelopeDailyCount, org)
        .filter(day__gte=first, kind__in=[E.SENT, TOOK])  # a completion counts once among "took"
        .values_list(Trunc("day", "week", output_field=DateField()), "kind", "bucket")  # weeks begin on Monday
        .annotate(total=Sum("n"))
        .order_by()
    )
    for monday, kind, bucket, n in rows:
        if kind == E.SENT:
            sent[monday] += n
        else:
            completed[monday] += n
            durations.setdefault(monday, Counter())[bucket] += n
    mondays = [first + timedelta(weeks=i) for i in range(weeks)]
    return [Week(m, sent[m], completed[m], median_hours(durations.get(m, Counter()))) for m in mondays]


def median_hours(buckets: Counter) -> float | None:
    """The median time to complete read off the duration histogram: the bucket holding the middle
    completion, interpolated within it (an approximation; the last bucket reads as its lower edge)."""
    total = sum(buckets.values())
    if not total:
        return None
    middle, seen = total / 2, 0
    for bucket in sorted(buckets):
        n = buckets[bucket]
        if n and seen + n >= middle:
            low = DURATION_EDGES[bucket - 1] if bucket else 0
            high = DURATION_EDGES[bucket] if bucket < len(DURATION_EDGES) else low
            return low + (high - low) * (middle - seen) / n
        seen += n
    return None


def _daily(org: Organization, *, since: date | None, kinds) -> list[tuple]:
    rows = org_scoped(EnvelopeDailyCount, org).filter(kind__in=kinds)
    if since is not None:
        rows = rows.filter(day__gte=since)
    return list(rows.values_list("provider", "connection_key", "kind", "bucket").annotate(total=Sum("n")).order_by())


def provider_name(provider: str) -> str:
    return provider_class(provider).name if provider_exists(provider) else provider.capitalize()


def account_name(envelope) -> str:
    """What the breakdown calls the account an envelope goes through."""
    return envelope.connection.label if envelope.connection_id else provider_name(envelope.provider)


def org_accounts(org: Organization) -> list[Account]:
    """The accounts the organization sends through: its connections, and providers used without one."""
    accounts = _accounts(org)
    used = org_scoped(EnvelopeStatusCount, org).exclude(status=E.DRAFT).values_list("provider", "connection_key")
    for provider, key in used.distinct():
        _account(accounts, provider, key)
    return _sorted(accounts)


def _sorted(accounts: dict) -> list[Account]:
    return sorted(accounts.values(), key=lambda a: (a.provider != "builtin", a.name.lower()))


def _accounts(org: Organization) -> dict[tuple[str, int], Account]:
    """Every connection the organization has (even those with no envelopes yet)."""
    accounts = {}
    for pk, provider, label, status in org_scoped(ProviderConnection, org).values_list(
        "pk", "provider", "label", "status"
    ):
        accounts[(provider, pk)] = Account(
            provider, pk, label, provider_name(provider), needs_reconnect=status == ConnectionStatus.NEEDS_RECONNECT
        )
    return accounts


def _account(accounts: dict, provider: str, key: int) -> Account:
    """The account envelopes were counted under; one without a connection is named by its provider."""
    if (provider, key) not in accounts:
        name = provider_name(provider) if provider else "No provider chosen"
        accounts[(provider, key)] = Account(provider, key, name, name)
    return accounts[(provider, key)]
