"""Retention: deleting finished envelopes' documents, and later erasing their participants'
personal data, as each organization's policy says.

Both stages count from when the envelope was finished (completed, declined, voided or expired),
skip envelopes on legal hold, and leave a proof event in the audit trail. A purge works in batches,
one transaction each: the due envelopes are locked with SELECT … FOR UPDATE SKIP LOCKED (another
worker takes the next ones instead of waiting), and their files, events, participants and proof
events are read and written with a handful of statements for the whole batch. Deleting the
provider's copy is a task queued with the batch (`envelopes.tasks.delete_at_providers`), so no
provider call is awaited inside the purge. Every stage records when it was done, so running it
again changes nothing.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_q.conf import Conf
from django_q.tasks import async_task

from envelopes.lifecycle.audit import event_append
from envelopes.lifecycle.states import TERMINAL
from envelopes.models import Document, Envelope, EnvelopeEvent, EventSource, Participant
from envelopes.outgoing.erasure import ERASED_NAME, ChainBatch
from envelopes.outgoing.sending import provider_for
from portal.models import Organization
from providers.base import Capability, ProviderError

log = logging.getLogger(__name__)

# Each batch holds its envelopes' row locks until it commits: 50 keeps that to a few hundred
# milliseconds on a busy two-core machine (200 took up to 2 s there) at the same throughput.
BATCH_SIZE = 50
# An envelope whose purge failed (a disk error, say) is left alone this long before it is tried
# again, so one bad envelope cannot keep a run busy.
RETRY_FAILED_AFTER = timedelta(minutes=10)
REMOTE_DELETE_TASK = "envelopes.tasks.delete_at_providers"
# Declined and expired envelopes have no timestamp field of their own; the transition event has one.
_FINISH_EVENT_KINDS = ("envelope.declined", "envelope.expired")
REMOTE_PURGED = "envelope.remote_purged"


@dataclass(frozen=True)
class RetentionPreview:
    """What the next purge would do."""

    envelopes_files: int = 0
    files: int = 0
    envelopes_personal: int = 0

    def __add__(self, other: RetentionPreview) -> RetentionPreview:
        return RetentionPreview(
            self.envelopes_files + other.envelopes_files,
            self.files + other.files,
            self.envelopes_personal + other.envelopes_personal,
        )

    @property
    def is_empty(self) -> bool:
        return not (self.envelopes_files or self.envelopes_personal)


@dataclass
class PurgeReport:
    """What purges did, added up over batches."""

    envelopes_files: int = 0
    files: int = 0
    envelopes_personal: int = 0
    remote_queued: int = 0
    failed: int = 0

    def add(self, other: PurgeReport) -> None:
        for name in ("envelopes_files", "files", "envelopes_personal", "remote_queued", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def summary(self) -> str:
        text = (
            f"Purged files of {self.envelopes_files} envelopes ({self.files} files) and erased personal data "
            f"of {self.envelopes_personal} envelopes."
        )
        if self.remote_queued:
            text += f" Queued the deletion of {self.remote_queued} envelopes at their provider."
        if self.failed:
            text += f" {self.failed} envelopes failed and will be retried (see the log)."
        return text


def finished_at():
    """When an envelope reached its terminal status: completed_at or voided_at, else the time of the
    declined/expired transition event, else (no such event, e.g. imported data) updated_at."""
    transition = EnvelopeEvent.objects.filter(envelope=OuterRef("pk"), kind__in=_FINISH_EVENT_KINDS)
    return Coalesce(
        "completed_at", "voided_at", Subquery(transition.order_by("id").values("occurred_at")[:1]), "updated_at"
    )


def _orgs_with_policy() -> QuerySet[Organization]:
    policy = Q(retention_files_days__isnull=False) | Q(retention_personal_days__isnull=False)
    return Organization.objects.filter(policy).order_by("id")


def _finished(org: Organization) -> QuerySet[Envelope]:
    return Envelope.objects.filter(org=org, status__in=TERMINAL, legal_hold=False).annotate(finished=finished_at())


def _cutoff(now: datetime, days: int | None) -> datetime | None:
    return None if days is None else now - timedelta(days=days)


def _files_due_q(org: Organization, now: datetime) -> Q | None:
    cutoff = _cutoff(now, org.retention_files_days)
    return None if cutoff is None else Q(purged_at__isnull=True, finished__lte=cutoff)


def _personal_due_q(org: Organization, now: datetime) -> Q | None:
    cutoff = _cutoff(now, org.retention_personal_days)
    return None if cutoff is None else Q(personal_erased_at__isnull=True, finished__lte=cutoff)


def _due(org: Organization, *conditions: Q | None) -> QuerySet[Envelope]:
    """The org's finished envelopes (not on legal hold) matching any of `conditions`."""
    wanted = [condition for condition in conditions if condition is not None]
    if not wanted:
        return Envelope.objects.none()
    any_of = wanted[0]
    for condition in wanted[1:]:
        any_of |= condition
    return _finished(org).filter(any_of)


def _org_preview(org: Organization, now: datetime) -> RetentionPreview:
    files_due = _due(org, _files_due_q(org, now))
    envelopes_files = files_due.count()
    files = 0
    if envelopes_files:
        documents = Document.objects.filter(envelope__in=files_due.values("pk")).aggregate(
            originals=Count("id", filter=~Q(file="")), signed=Count("id", filter=~Q(signed_file=""))
        )
        files = documents["originals"] + documents["signed"] + files_due.exclude(signed_file="").count()
    return RetentionPreview(envelopes_files, files, _due(org, _personal_due_q(org, now)).count())


def retention_due(*, now: datetime | None = None) -> dict[Organization, RetentionPreview]:
    """What the next purge would do, per organization that has something due."""
    now = now or timezone.now()
    due = {org: _org_preview(org, now) for org in _orgs_with_policy()}
    return {org: preview for org, preview in due.items() if not preview.is_empty}


def retention_preview(*, org: Organization | None = None, now: datetime | None = None) -> RetentionPreview:
    """What the next purge would do for `org`, or for every organization. Envelopes on legal hold
    and stages already done are not counted."""
    now = now or timezone.now()
    if org is not None:
        return _org_preview(org, now)
    return sum(retention_due(now=now).values(), RetentionPreview())


def _claim(
    *, now: datetime, batch_size: int, only: list[int] | None = None
) -> list[tuple[Organization, list[Envelope]]]:
    """Locks up to `batch_size` due envelopes that no other worker holds, with when each finished.
    Runs inside the caller's transaction: the locks last until its commit."""
    claimed: list[tuple[Organization, list[Envelope]]] = []
    room = batch_size
    for org in _orgs_with_policy():
        if room <= 0:
            break
        due = _due(org, _files_due_q(org, now), _personal_due_q(org, now))
        free = due.filter(Q(purge_after__isnull=True) | Q(purge_after__lte=now))
        if only is not None:
            free = free.filter(pk__in=only)
        envelopes = list(free.select_for_update(skip_locked=True, of=("self",)).order_by("pk")[:room])
        if envelopes:
            claimed.append((org, envelopes))
            room -= len(envelopes)
    return claimed


def retention_purge_batch(
    *, now: datetime | None = None, batch_size: int = BATCH_SIZE, report: PurgeReport | None = None
) -> int:
    """Purges up to `batch_size` envelopes with something due, in one transaction that holds their
    row locks (other workers skip them). Returns how many were claimed (0: nothing left). When the
    batch fails (a file that cannot be deleted, say), its envelopes are purged one by one instead: a
    failing one is logged, counted in `report` and left alone for RETRY_FAILED_AFTER."""
    now = now or timezone.now()
    report = report if report is not None else PurgeReport()
    claimed: list[tuple[Organization, list[Envelope]]] = []
    try:
        with transaction.atomic():
            claimed = _claim(now=now, batch_size=batch_size)
            done = _batch_purge(claimed, now=now)
    except Exception:
        if not claimed:
            raise
        log.warning("retention: a batch of %s envelopes failed; purging them one by one", _size(claimed), exc_info=True)
        done = _purge_one_by_one(claimed, now=now)
    report.add(done)
    return _size(claimed)


def retention_purge_run(*, seconds: float | None = 60, batch_size: int = BATCH_SIZE) -> PurgeReport:
    """Purges batch after batch until nothing is due or `seconds` have passed (None: no limit)."""
    report = PurgeReport()
    deadline = None if seconds is None else time.monotonic() + seconds
    while retention_purge_batch(batch_size=batch_size, report=report):
        if deadline is not None and time.monotonic() >= deadline:
            break
    return report


def _size(claimed: list[tuple[Organization, list[Envelope]]]) -> int:
    return sum(len(envelopes) for _, envelopes in claimed)


def _purge_one_by_one(claimed: list[tuple[Organization, list[Envelope]]], *, now: datetime) -> PurgeReport:
    report = PurgeReport()
    for _, envelopes in claimed:
        for envelope in envelopes:
            try:
                with transaction.atomic():
                    report.add(_batch_purge(_claim(now=now, batch_size=1, only=[envelope.pk]), now=now))
            except Exception:
                log.exception("retention: purging envelope %s failed; retrying later", envelope.pk)
                Envelope.objects.filter(pk=envelope.pk).update(purge_after=now + RETRY_FAILED_AFTER)
                report.failed += 1
    return report


def _batch_purge(claimed: list[tuple[Organization, list[Envelope]]], *, now: datetime) -> PurgeReport:
    """Both stages for the claimed (locked) envelopes, in the caller's transaction, with a number of
    statements that does not grow with the batch."""
    report = PurgeReport()
    for org, envelopes in claimed:
        files_cutoff = _cutoff(now, org.retention_files_days)
        personal_cutoff = _cutoff(now, org.retention_personal_days)
        files_due = [e for e in envelopes if e.purged_at is None and files_cutoff and e.finished <= files_cutoff]
        personal_due = [
            e for e in envelopes if e.personal_erased_at is None and personal_cutoff and e.finished <= personal_cutoff
        ]
        chains = ChainBatch(loaded=personal_due)
        if files_due:
            _files_purge(files_due, days=org.retention_files_days, now=now, chains=chains, report=report)
        if personal_due:
            _personal_erase(personal_due, days=org.retention_personal_days, now=now, chains=chains, report=report)
        chains.save()
    return report


def _stored_files(envelopes: list[Envelope]) -> dict[int, list[tuple[FieldFile, str]]]:
    """Every file of each envelope with its recorded sha256: originals, signed documents, the sealed envelope."""
    found: dict[int, list[tuple[FieldFile, str]]] = {envelope.pk: [] for envelope in envelopes}
    documents = Document.objects.filter(envelope__in=[e.pk for e in envelopes]).order_by("envelope", "position", "id")
    for document in documents:
        found[document.envelope_id] += [
            (document.file, document.sha256),
            (document.signed_file, document.signed_sha256),
        ]
    for envelope in envelopes:
        found[envelope.pk].append((envelope.signed_file, envelope.signed_sha256))
    return {pk: [(stored, sha256) for stored, sha256 in files if stored] for pk, files in found.items()}


def _files_purge(
    envelopes: list[Envelope], *, days: int, now: datetime, chains: ChainBatch, report: PurgeReport
) -> None:
    """Deletes the envelopes' documents, appends their proof events and queues the provider's deletion."""
    files = _stored_files(envelopes)
    for envelope in envelopes:
        deleted = []
        for stored, sha256 in files[envelope.pk]:
            # The rows keep the file names: pages that serve a file then say it is no longer stored
            # (an emptied field would crash them), and a batch rolled back after this deletes them
            # again (deleting a missing file is a no-op). purged_at is what marks the stage done.
            stored.storage.delete(stored.name)
            deleted.append({"name": os.path.basename(stored.name), "sha256": sha256})
        data = {"files": deleted, "policy_days": days, "at": now.isoformat()}
        if envelope.remote_id:
            data["remote_delete"] = "queued"
        chains.append(envelope, kind="envelope.files_purged", data=data)
        report.files += len(deleted)
    Envelope.objects.filter(pk__in=[e.pk for e in envelopes]).update(purged_at=now)
    remote = [e.pk for e in envelopes if e.remote_id]
    if remote:
        _delete_remote_later(remote)
    report.envelopes_files += len(envelopes)
    report.remote_queued += len(remote)


def _delete_remote_later(envelope_ids: list[int]) -> None:
    """Queues one task for the batch's provider copies. With the database as the queue broker the task
    row is written in the batch's transaction (never a purge without its task); with Redis, or when
    tasks run inline, it is queued once the batch is committed."""
    name = f"delete {len(envelope_ids)} envelopes at their providers"
    if settings.Q_CLUSTER.get("orm") and not Conf.SYNC:
        async_task(REMOTE_DELETE_TASK, envelope_ids, task_name=name)
    else:
        transaction.on_commit(lambda: async_task(REMOTE_DELETE_TASK, envelope_ids, task_name=name))


def _personal_erase(
    envelopes: list[Envelope], *, days: int, now: datetime, chains: ChainBatch, report: PurgeReport
) -> None:
    """Blanks the participants' personal fields and removes personal data from the events.

    The events are hash-chained, so changing their data breaks the chain. When the chain verifies
    before the erasure, it is relinked over the erased data in the same transaction and an
    `envelope.personal_data_erased` event records the old head hash, the new one and the policy:
    verify_chain passes, and the trail says that (and when, and why) it was rewritten. When the
    chain was already broken, relinking would hide whatever broke it, so the data is erased without
    relinking and the proof event records the earlier break."""
    ids = [e.pk for e in envelopes]
    people = Participant.objects.filter(envelope__in=ids)
    counted = dict(people.values_list("envelope").annotate(n=Count("id")).order_by())
    people.update(name=ERASED_NAME, email="", phone="", personal_number="", decline_reason="")
    for envelope in envelopes:
        old_head = envelope.last_event_hash
        before, rewritten, head = chains.erase(envelope)
        proof = {
            "policy_days": days,
            "at": now.isoformat(),
            "participants": counted.get(envelope.pk, 0),
            "events_rewritten": rewritten,
            "old_head": old_head,
            "new_head": head,
            "chain_relinked": before.ok,
        }
        if not before.ok:
            proof["chain_broken_before"] = {"event": before.broken_event_id, "problem": before.problem}
        chains.append(envelope, kind="envelope.personal_data_erased", data=proof)
    Envelope.objects.filter(pk__in=ids).update(personal_erased_at=now)
    report.envelopes_personal += len(envelopes)


def remote_copies_delete(*, envelope_ids: list[int], now: datetime | None = None) -> tuple[int, int]:
    """Asks the providers to delete their copies of envelopes whose files were purged, one call each,
    outside any transaction, and records each outcome as an `envelope.remote_purged` event. Returns
    (deleted, not deleted). An envelope whose outcome is recorded is skipped, so running it twice asks
    nobody twice; one put on legal hold since its files were purged is kept at the provider."""
    now = now or timezone.now()
    done = EnvelopeEvent.objects.filter(envelope__in=envelope_ids, kind=REMOTE_PURGED).values("envelope")
    pending = Envelope.objects.filter(pk__in=envelope_ids, purged_at__isnull=False).exclude(remote_id="")
    deleted = kept = 0
    for envelope in pending.exclude(pk__in=done).select_related("connection").order_by("pk"):
        if envelope.legal_hold:
            outcome = {"remote_deleted": False, "remote_note": "Kept at the provider: the envelope is on legal hold."}
        else:
            outcome = _remote_delete(envelope)
        event_append(
            envelope=envelope, kind=REMOTE_PURGED, source=EventSource.SYSTEM, data={**outcome, "at": now.isoformat()}
        )
        deleted += outcome["remote_deleted"]
        kept += not outcome["remote_deleted"]
    return deleted, kept


def _remote_delete(envelope: Envelope) -> dict:
    """Asks the provider to delete its copy; what happened, for the proof event."""
    try:
        provider = provider_for(envelope)
    except ValidationError as exc:
        return {"remote_deleted": False, "remote_error": exc.messages[0]}
    if not provider.supports(Capability.REMOTE_DELETE):
        return {"remote_deleted": False, "remote_note": f"{provider.name} offers no deletion through its API."}
    try:
        provider.delete_remote(envelope.remote_id)
    except ProviderError as exc:
        return {"remote_deleted": False, "remote_error": exc.message}
    return {"remote_deleted": True}
