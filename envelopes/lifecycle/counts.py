"""Keeps the count tables (`envelopes.lifecycle.count_tables`) in step with the envelopes, so that dashboards
and the list's chips read a few rows instead of counting a million.

The status writer (`envelopes.lifecycle.states`) calls `counts_moved` inside each transition's transaction,
the services call `counts_created` and `counts_deleted` for drafts, and `counts_rebuild` (the
`recount_envelopes` command, the bench seed) recomputes an organization's counts from its envelopes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.db.models.functions import TruncDate
from django.utils import timezone

from envelopes.lifecycle.count_tables import EnvelopeDailyCount, EnvelopeStatusCount
from envelopes.models import Envelope, EnvelopeEvent, EnvelopeStatus
from portal.models import Organization

E = EnvelopeStatus
# What the daily table counts per provider account: arrivals in these statuses.
DAILY_KINDS = (E.SENT, E.COMPLETED, E.DECLINED, E.VOIDED, E.EXPIRED)
# And, for the whole organization, each completion by how long it took (bucket): the median time to
# complete is read off this histogram.
TOOK = "took"
# Upper edges, in hours, of the time-to-complete buckets; the bucket after the last edge is "longer".
DURATION_EDGES = (1, 2, 4, 8, 16, 24, 48, 72, 120, 168, 240, 336, 504, 720)


def duration_bucket(took: timedelta) -> int:
    """The time-to-complete bucket of `took`: i means shorter than DURATION_EDGES[i] hours."""
    return bisect_right(DURATION_EDGES, took.total_seconds() / 3600)


def _status_key(envelope: Envelope, status: str) -> dict:
    if status == E.DRAFT:  # a draft's provider may still change, so drafts are counted per organization
        return {"org_id": envelope.org_id, "provider": "", "connection_key": 0, "status": status}
    return {
        "org_id": envelope.org_id,
        "provider": envelope.provider,
        "connection_key": envelope.connection_id or 0,
        "status": status,
    }


def _daily_key(envelope: Envelope, kind: str, at: datetime) -> dict:
    return {
        "org_id": envelope.org_id,
        "day": timezone.localdate(at),
        "provider": envelope.provider,
        "connection_key": envelope.connection_id or 0,
        "kind": kind,
        "bucket": 0,
    }


def _took_key(envelope: Envelope, at: datetime) -> dict:
    bucket = duration_bucket(at - (envelope.sent_at or envelope.created_at))
    return {"org_id": envelope.org_id, "day": timezone.localdate(at), "kind": TOOK, "bucket": bucket}


def _add(model, key: dict, delta: int) -> None:
    """Adds `delta` to the row `key`, creating it when missing. An increment in the database, never a
    read-modify-write, so two workers never lose an update; if both create the row, the loser adds."""
    if model.objects.filter(**key).update(n=F("n") + delta):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key, n=delta)
    except IntegrityError:
        model.objects.filter(**key).update(n=F("n") + delta)


def counts_created(envelope: Envelope) -> None:
    _add(EnvelopeStatusCount, _status_key(envelope, envelope.status), 1)


def counts_deleted(envelope: Envelope) -> None:
    _add(EnvelopeStatusCount, _status_key(envelope, envelope.status), -1)


def counts_moved(envelope: Envelope, *, old: str, to: str, at: datetime) -> None:
    """Counts a transition; call it inside the transaction that made it."""
    # Rows are always locked in the same order (by status), so two transitions never wait on
    # each other in a circle.
    for status, delta in sorted([(old, -1), (to, 1)]):
        _add(EnvelopeStatusCount, _status_key(envelope, status), delta)
    if to in DAILY_KINDS:
        _add(EnvelopeDailyCount, _daily_key(envelope, to, at), 1)
    if to == E.COMPLETED:
        _add(EnvelopeDailyCount, _took_key(envelope, at), 1)


# --- Rebuilding ---------------------------------------------------------------------------------


@transaction.atomic
def counts_rebuild(org: Organization) -> tuple[int, int]:
    """Recomputes the organization's count tables from its envelopes and their terminal events;
    returns (status rows, daily rows). For drift repair: a transition that commits while this runs
    is still counted once, but run it again if envelopes were created or deleted meanwhile."""
    EnvelopeStatusCount.objects.filter(org=org).delete()
    EnvelopeDailyCount.objects.filter(org=org).delete()
    statuses = _status_counts(org)
    daily = _daily_counts(org)
    EnvelopeStatusCount.objects.bulk_create(
        [EnvelopeStatusCount(org=org, provider=p, connection_key=c, status=s, n=n) for (p, c, s), n in statuses.items()]
    )
    EnvelopeDailyCount.objects.bulk_create(
        [
            EnvelopeDailyCount(org=org, day=d, provider=p, connection_key=c, kind=k, bucket=b, n=n)
            for (d, p, c, k, b), n in daily.items()
        ],
        batch_size=2000,
    )
    return len(statuses), len(daily)


def _status_counts(org: Organization) -> Counter:
    counts: Counter = Counter()
    rows = Envelope.objects.filter(org=org).values_list("provider", "connection_id", "status").annotate(n=Count("pk"))
    for provider, connection_id, status, n in rows.order_by():
        if status == E.DRAFT:
            provider, connection_id = "", 0
        counts[(provider, connection_id or 0, status)] += n
    return counts


def _daily_counts(org: Organization) -> Counter:
    envelopes = Envelope.objects.filter(org=org)
    events = EnvelopeEvent.objects.filter(envelope__org=org)
    counts: Counter = Counter()
    completed = envelopes.filter(status=E.COMPLETED).exclude(completed_at=None)
    sources = [
        (E.SENT, envelopes.exclude(sent_at=None), "sent_at", ""),
        (E.COMPLETED, completed, "completed_at", ""),
        (E.VOIDED, envelopes.filter(status=E.VOIDED).exclude(voided_at=None), "voided_at", ""),
        # Envelopes keep no timestamp for these two; their transition event does.
        (E.DECLINED, events.filter(kind="envelope.declined", envelope__status=E.DECLINED), "occurred_at", "envelope__"),
        (E.EXPIRED, events.filter(kind="envelope.expired", envelope__status=E.EXPIRED), "occurred_at", "envelope__"),
    ]
    for kind, rows, moment, path in sources:
        grouped = (
            rows.annotate(day=TruncDate(moment))
            .values_list("day", f"{path}provider", f"{path}connection_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for day, provider, connection_id, n in grouped:
            counts[(day, provider, connection_id or 0, kind, 0)] += n
    for completed_at, sent_at, created_at in completed.values_list("completed_at", "sent_at", "created_at").iterator():
        bucket = duration_bucket(completed_at - (sent_at or created_at))
        counts[(timezone.localdate(completed_at), "", 0, TOOK, bucket)] += 1
    return counts
