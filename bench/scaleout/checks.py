"""What must hold after the run, whatever was killed or refused on the way."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from envelopes.lifecycle.audit import verify_chain
from envelopes.lifecycle.count_tables import EnvelopeDailyCount, EnvelopeStatusCount
from envelopes.lifecycle.counts import counts_rebuild
from envelopes.models import Envelope, EnvelopeEvent, EnvelopeStatus
from providers.builtin.models import SigningRequest
from providers.models import DeliveryStatus, WebhookDelivery

UNFINISHED = [EnvelopeStatus.QUEUED, EnvelopeStatus.SENDING]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def settled(org) -> tuple[int, int]:
    """(envelopes still queued or sending, webhook deliveries still pending): both 0 when the
    workers have caught up."""
    envelopes = Envelope.objects.filter(org=org, status__in=UNFINISHED).count()
    deliveries = WebhookDelivery.objects.filter(connection__org=org, status=DeliveryStatus.PENDING).count()
    return envelopes, deliveries


def run_checks(org, *, webhook_ids: set[str]) -> list[Check]:
    return [
        _sent_once_builtin(org),
        _sent_once_formify(org),
        _webhooks_once(org, webhook_ids),
        _counts_equal_a_recount(org),
        _audit_chains(org),
    ]


def _sent_once_builtin(org) -> Check:
    envelopes = Envelope.objects.filter(org=org, provider="builtin").exclude(status=EnvelopeStatus.DRAFT)
    refs = Counter(
        SigningRequest.objects.filter(
            envelope_ref__in=[str(pk) for pk in envelopes.values_list("pk", flat=True)]
        ).values_list("envelope_ref", flat=True)
    )
    sent = envelopes.exclude(status__in=UNFINISHED + [EnvelopeStatus.FAILED])
    twice = sum(1 for n in refs.values() if n > 1)
    missing = sent.count() - sum(1 for pk in sent.values_list("pk", flat=True) if refs.get(str(pk)) == 1)
    ok = twice == 0 and missing == 0 and not envelopes.filter(status__in=UNFINISHED).exists()
    return Check(
        "Paraph signing: every envelope sent exactly once",
        ok,
        f"{envelopes.count()} envelopes, {sent.count()} sent, {len(refs)} signing requests, "
        f"{twice} sent twice, {missing} sent but missing, "
        f"{envelopes.filter(status__in=UNFINISHED).count()} still queued/sending",
    )


def _sent_once_formify(org) -> Check:
    """Formify reports each document it creates with a document.created webhook: one per envelope,
    and every one of them an envelope's remote id."""
    envelopes = Envelope.objects.filter(org=org, provider="formify").exclude(status=EnvelopeStatus.DRAFT)
    remote_ids = set(envelopes.exclude(remote_id="").values_list("remote_id", flat=True))
    created = Counter(
        WebhookDelivery.objects.filter(connection__org=org, event_type="document.created").values_list(
            "remote_id", flat=True
        )
    )
    orphans = set(created) - remote_ids
    twice = sum(1 for n in created.values() if n > 1)
    unfinished = envelopes.filter(status__in=UNFINISHED).count()
    ok = not orphans and not twice and not unfinished and set(created) == remote_ids
    return Check(
        "Formify: every envelope sent exactly once",
        ok,
        f"{envelopes.count()} envelopes, {len(remote_ids)} with a Formify document, "
        f"{len(created)} documents created at Formify, {len(orphans)} documents without an envelope, "
        f"{unfinished} still queued/sending, statuses {dict(Counter(envelopes.values_list('status', flat=True)))}",
    )


def _webhooks_once(org, webhook_ids: set[str]) -> Check:
    deliveries = WebhookDelivery.objects.filter(connection__org=org)
    stored = Counter(deliveries.filter(event_id__in=webhook_ids).values_list("event_id", flat=True))
    twice = sum(1 for n in stored.values() if n > 1)
    lost = len(webhook_ids) - len(stored)
    statuses = dict(deliveries.values_list("status").annotate(n=Count("id")).order_by())
    pending = statuses.get(DeliveryStatus.PENDING, 0) + statuses.get(DeliveryStatus.FAILED, 0)
    events = EnvelopeEvent.objects.filter(envelope__org=org).exclude(remote_event_id=None)
    repeated = events.values("envelope", "remote_event_id").annotate(n=Count("id")).filter(n__gt=1).count()
    ok = not (twice or lost or pending or repeated)
    return Check(
        "Webhooks: every delivery stored and applied once",
        ok,
        f"{len(webhook_ids)} distinct accepted from the load, {lost} lost, {twice} stored twice; all deliveries "
        f"by status {statuses}; events recorded twice: {repeated}",
    )


def _counts_equal_a_recount(org) -> Check:
    """The live count tables against what recount_envelopes would rebuild (rolled back)."""
    live = _count_rows(org)
    with transaction.atomic():
        counts_rebuild(org)
        rebuilt = _count_rows(org)
        transaction.set_rollback(True)
    differ = {key for key in live.keys() | rebuilt.keys() if live.get(key, 0) != rebuilt.get(key, 0)}
    return Check(
        "Counts equal a recount",
        not differ,
        f"{len(live)} live rows, {len(rebuilt)} rebuilt; differing: {sorted(differ, key=str)[:5]}",
    )


def _count_rows(org) -> dict:
    rows = {}
    for row in EnvelopeStatusCount.objects.filter(org=org).values_list("provider", "connection_key", "status", "n"):
        rows[("status",) + row[:3]] = row[3]
    daily = EnvelopeDailyCount.objects.filter(org=org).values_list(
        "day", "provider", "connection_key", "kind", "bucket", "n"
    )
    for row in daily:
        rows[("daily",) + row[:5]] = row[5]
    return {key: n for key, n in rows.items() if n}


def _audit_chains(org) -> Check:
    broken = [
        pk
        for pk in Envelope.objects.filter(org=org).values_list("pk", flat=True)
        if not verify_chain(envelope=Envelope(pk=pk)).ok
    ]
    total = Envelope.objects.filter(org=org).count()
    return Check("Audit chains verify", not broken, f"{total} envelopes checked, broken: {broken[:10]}")
