"""The retention purge of a dedicated organization's finished envelopes, through the real service
(retention_purge_batch until it claims nothing: what retention_purge_run and `manage.py purge` do),
timed batch by batch and watched for transaction lengths and locks; then the provider deletions it
queued, run here one task after another as a worker would, and timed apart."""

from __future__ import annotations

import inspect
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django.db.models import Q
from django.test import override_settings
from django_q.models import OrmQ

from bench.sweeps import Spread, analyze
from bench.sweeps.seed import ORG_SLUG, PurgeOrg, purge_org_create, purge_org_drop
from bench.sweeps.watch import LockSampler, TransactionClock, WriteProbe
from envelopes.lifecycle.audit import verify_chain
from envelopes.models import Envelope, EnvelopeEvent, EnvelopeStatus, Participant
from envelopes.outgoing import retention
from envelopes.outgoing.retention import PurgeReport, RetentionPreview, retention_preview, retention_purge_batch
from envelopes.tasks import delete_at_providers
from portal.models import Organization

BATCH = inspect.signature(retention_purge_batch).parameters["batch_size"].default
PROBE_INTERVAL = 0.05
CHAINS_CHECKED = 50


@dataclass
class PurgeFigures:
    seeded: PurgeOrg
    due: RetentionPreview
    seconds: float
    batches: list[float]  # seconds per batch that claimed something
    report: PurgeReport
    remote_tasks: int  # provider-deletion tasks the purge queued
    remote_seconds: float  # running them
    remote_deleted: int
    transactions: dict[str, list[float]]  # by label, in the order they ran
    row_locks: dict[str, list[float]]
    sampler: LockSampler | None
    probe: list[float]
    left: RetentionPreview
    files_left: int
    proofs: int
    chains_ok: bool
    probe_untouched: bool

    @property
    def rate(self) -> float:
        return self.seeded.envelopes / self.seconds if self.seconds else 0.0

    def batch_spread(self) -> Spread:
        return Spread.of(self.batches)


def other_policies() -> list[str]:
    """Organizations besides the bench's own whose retention policy the real purge would also apply."""
    policy = Q(retention_files_days__isnull=False) | Q(retention_personal_days__isnull=False)
    return list(Organization.objects.filter(policy).exclude(slug=ORG_SLUG).values_list("name", flat=True))


def purge_measure(
    *, envelopes: int, batch_size: int = BATCH, sample_ms: float = 20, progress: Callable = print
) -> PurgeFigures:
    """Seeds `envelopes` due envelopes in the bench's organization, purges them, checks the result and
    drops the organization again. Lock sampling and the write probe need PostgreSQL (and
    `sample_ms` > 0)."""
    purge_org_drop()  # left over from an interrupted run
    media = Path(tempfile.mkdtemp(prefix="paraph-sweeps-"))
    try:
        with override_settings(MEDIA_ROOT=str(media)):
            seeded = purge_org_create(envelopes=envelopes, media_root=media, progress=progress)
            analyze(Envelope, Participant, EnvelopeEvent)
            progress(f"  seeded in {seeded.seconds:.0f} s; purging")
            return _purge(seeded, media, batch_size, sample_ms / 1000, progress)
    finally:
        purge_org_drop()
        shutil.rmtree(media, ignore_errors=True)


def _purge(seeded: PurgeOrg, media: Path, batch_size: int, interval: float, progress: Callable) -> PurgeFigures:
    due = retention_preview(org=seeded.org)
    report, batches = PurgeReport(), []
    queued = _QueuedTasks()
    watching = connection.vendor == "postgresql" and interval > 0
    with TransactionClock() as clock:
        pid = _backend_pid() if watching else None
        sampler = LockSampler(pid, interval) if watching else None
        probe = WriteProbe(seeded.probe_id, PROBE_INTERVAL) if watching else None
        with sampler or nullcontext(), probe or nullcontext(), queued:
            started = time.perf_counter()
            while True:
                batch_started = time.perf_counter()
                if not retention_purge_batch(batch_size=batch_size, report=report):
                    break
                batches.append(time.perf_counter() - batch_started)
                if len(batches) % 100 == 0:
                    progress(f"  {len(batches)} batches, {report.envelopes_files:,} envelopes purged")
            seconds = time.perf_counter() - started
    remote_started = time.perf_counter()
    remote_deleted = sum(int(delete_at_providers(*args).split()[1]) for args in queued.calls)
    remote_seconds = time.perf_counter() - remote_started
    org = seeded.org
    envelopes = Envelope.objects.filter(org=org).exclude(pk=seeded.probe_id)
    sample = envelopes.order_by("?")[:CHAINS_CHECKED]
    return PurgeFigures(
        seeded=seeded,
        due=due,
        seconds=seconds,
        batches=batches,
        report=report,
        remote_tasks=len(queued.calls),
        remote_seconds=remote_seconds,
        remote_deleted=remote_deleted,
        transactions=dict(clock.durations),
        row_locks=dict(clock.row_locks),
        sampler=sampler,
        probe=probe.latencies if probe else [],
        left=retention_preview(org=org),
        files_left=sum(1 for path in media.rglob("*") if path.is_file()),
        proofs=EnvelopeEvent.objects.filter(envelope__org=org, kind="envelope.files_purged").count(),
        chains_ok=all(verify_chain(envelope=envelope).ok for envelope in sample),
        probe_untouched=Envelope.objects.filter(
            pk=seeded.probe_id, status=EnvelopeStatus.SENT, purged_at=None
        ).exists(),
    )


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


class _QueuedTasks:
    """Records the provider-deletion tasks the purge queues (they are queued for real, so the purge
    pays what it pays in production) and takes them off the database queue again afterwards, since
    the bench runs them itself."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self._real = retention.async_task

    def __enter__(self) -> _QueuedTasks:
        self._before = OrmQ.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

        def recorded(func, *args, **kwargs):
            if func == retention.REMOTE_DELETE_TASK:
                self.calls.append(args)
            return self._real(func, *args, **kwargs)

        retention.async_task = recorded
        return self

    def __exit__(self, *exc) -> None:
        retention.async_task = self._real
        OrmQ.objects.filter(pk__gt=self._before).delete()
