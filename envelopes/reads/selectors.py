"""Reads for the envelope pages. Every query starts from the organization's scope."""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.db import connections
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from envelopes.lifecycle.count_tables import EnvelopeStatusCount
from envelopes.models import Envelope, EnvelopeEvent, EnvelopeStatus, Participant
from envelopes.reads.attention import bounce_events, envelopes_expiring, participants_waiting_for
from envelopes.reads.keyset import rows_after
from envelopes.reads.search import participants_matching, title_matches
from portal.kernel.tenancy import org_scoped
from portal.models import Organization

PAGE_SIZE = 25

# sort name → (ordering fields, label). Keyset pagination walks these columns.
SORTS = {
    "newest": (("-created_at", "-id"), "Newest first"),
    "oldest": (("created_at", "id"), "Oldest first"),
    "title": (("title", "id"), "Title A–Z"),
}


@dataclass(frozen=True)
class EnvelopePage:
    rows: list[Envelope]
    next_cursor: str | None
    prev_cursor: str | None


def _encode(envelope: Envelope, sort: str) -> str:
    first = SORTS[sort][0][0].lstrip("-")
    value = getattr(envelope, first)
    value = value.isoformat() if isinstance(value, datetime) else value
    return base64.urlsafe_b64encode(json.dumps([value, envelope.pk]).encode()).decode()


def _decode(cursor: str, sort: str) -> tuple[object, int] | None:
    """(value, pk) from a cursor made by `_encode`; None for anything else (a stale or edited link
    starts again at the first page)."""
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if SORTS[sort][0][0].lstrip("-") == "created_at":
            value = datetime.fromisoformat(value)
        elif not isinstance(value, str):
            return None
        return value, int(pk)
    except (ValueError, TypeError):
        return None


def _after(sort: str, value, pk: int, *, backwards: bool):
    """Rows after (value, pk) in the sort's direction (before it when walking backwards), as one row
    comparison on the sort's columns, which the list's indexes take as where to start."""
    column = SORTS[sort][0][0]
    descending = column.startswith("-") != backwards
    return rows_after([column.lstrip("-"), "id"], [value, pk], descending=descending)


# The dashboard's cards link to these views of the list: show name → what it shows.
SHOWS = {
    "mine": "Waiting for you to sign",
    "expiring": "Expiring within 7 days",
    "bounced": "Invitations that bounced",
}


def _shown(envelopes: QuerySet[Envelope], org: Organization, show: str, user) -> QuerySet[Envelope]:
    if show == "mine" and user is not None:
        return envelopes.filter(pk__in=participants_waiting_for(org, user).values("envelope_id"))
    if show == "expiring":
        return envelopes.filter(pk__in=envelopes_expiring(org).values("pk"))
    if show == "bounced":
        return envelopes.filter(pk__in=bounce_events(org).values("envelope_id"))
    return envelopes


def statuses_chosen(status: str) -> list[str]:
    """The statuses a `status` parameter names: one ("sent") or several ("queued,sending"); unknown
    names are left out."""
    return [name for name in status.split(",") if name in EnvelopeStatus.values]


def envelopes_filtered(org: Organization, *, status: str = "", show: str = "", user=None) -> QuerySet[Envelope]:
    envelopes = _shown(org_scoped(Envelope, org), org, show, user)
    chosen = statuses_chosen(status)
    return envelopes.filter(status__in=chosen) if chosen else envelopes


def _searched(envelopes: QuerySet[Envelope], org: Organization, q: str, ordering, limit: int) -> QuerySet[Envelope]:
    """The envelopes among `envelopes` whose title or one of whose participants matches `q`, enough
    of them to fill the first `limit` rows in `ordering`.

    As one condition, "the title matches or a participant does" leaves PostgreSQL no index to start
    from: it walks the organization's envelopes checking each, a second at a million. Taken apart,
    each half is bounded on its own (its trigram index when the matches are few, the list's order
    and LIMIT when they are many), and the page's rows are among the two halves' first `limit`."""
    people = participants_matching(q).filter(envelope=OuterRef("pk"))
    if not connections[envelopes.db].features.supports_slicing_ordering_in_compound:
        return envelopes.filter(title_matches(q) | Exists(people))  # SQLite: small enough to read
    by_title = envelopes.filter(title_matches(q)).order_by(*ordering).values("pk")[:limit]
    by_person = envelopes.filter(Exists(people)).order_by(*ordering).values("pk")[:limit]
    return org_scoped(Envelope, org).filter(pk__in=by_title.union(by_person))


def envelope_page(
    org: Organization,
    *,
    status: str = "",
    q: str = "",
    show: str = "",
    user=None,
    sort: str = "newest",
    after: str = "",
    before: str = "",
) -> EnvelopePage:
    """One page of the list, walked by cursor so that a deep page costs what the first does."""
    sort = sort if sort in SORTS else "newest"
    ordering = SORTS[sort][0]
    envelopes = envelopes_filtered(org, status=status, show=show, user=user)
    backwards = bool(before) and not after
    cursor = _decode(after or before, sort) if (after or before) else None
    if cursor:
        envelopes = envelopes.filter(_after(sort, *cursor, backwards=backwards))
    if backwards:
        ordering = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in ordering)
    if q.strip():
        envelopes = _searched(envelopes, org, q.strip(), ordering, PAGE_SIZE + 1)
    people = Prefetch("participants", queryset=Participant.objects.order_by("position", "id"))
    rows = list(envelopes.order_by(*ordering).prefetch_related(people)[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else True
    has_prev = bool(cursor) and (not backwards or more)
    return EnvelopePage(
        rows=rows,
        next_cursor=_encode(rows[-1], sort) if rows and has_next else None,
        prev_cursor=_encode(rows[0], sort) if rows and has_prev else None,
    )


def envelope_status_counts(org: Organization) -> dict[str, int]:
    """Envelopes per status, and "all", from the count table (a few rows, however many envelopes)."""
    counts: Counter = Counter()
    for status, n in org_scoped(EnvelopeStatusCount, org).values_list("status", "n"):
        counts[status] += n
    return {"all": sum(counts.values()), **{status: counts[status] for status in EnvelopeStatus.values}}


def envelope_for_detail(org: Organization, envelope_id: int) -> Envelope:
    """The envelope with its documents, fields and participants loaded, or 404."""
    envelopes = (
        org_scoped(Envelope, org)
        .select_related("created_by", "template")
        .prefetch_related(
            "documents__fields",
            Prefetch("participants", queryset=Participant.objects.order_by("position", "id")),
        )
    )
    return get_object_or_404(envelopes, pk=envelope_id)


def envelope_events(envelope: Envelope) -> QuerySet[EnvelopeEvent]:
    return envelope.events.select_related("participant", "actor").order_by("-id")
