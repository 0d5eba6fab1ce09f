"""Retention: deleting finished envelopes' documents, and later erasing their participants'
personal data, as each organization's policy says.

Both stages count from when the envelope was finished (completed, declined, voided or expired),
skip envelopes on legal hold, and leave a proof event in the audit trail. A purge works in small
batches: a short transaction claims envelopes (SELECT … FOR UPDATE SKIP LOCKED, then a lease in
`purge_after` so other workers leave them alone), and each envelope is then handled in its own
short transaction. Every stage records when it was done, so running it again changes nothing.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce
from django.utils import timezone

from envelopes.lifecycle.audit import event_append, event_hash, verify_chain
from envelopes.lifecycle.states import TERMINAL
from envelopes.models import Document, Envelope, EnvelopeEvent, EventSource, Participant
from envelopes.outgoing.sending import provider_for
from portal.models import Organization
from providers.base import Capability, ProviderError

log = logging.getLogger(__name__)

ERASED_NAME = "(erased)"
# A claimed envelope is left alone by other workers this long; a worker that dies mid-purge
# therefore delays its envelopes by at most this much.
CLAIM_LEASE = timedelta(minutes=10)
# Declined and expired envelopes have no timestamp field of their own; the transition event has one.
_FINISH_EVENT_KINDS = ("envelope.declined", "envelope.expired")
# Removed from every event's data (also inside nested dicts such as contact changes' old/new).
_EVENT_KEYS_ERASED = frozenset({"ip", "user_agent", "email", "phone", "personal_number"})
# In participant events these describe the person: the name is blanked, a decline reason removed.
_PARTICIPANT_EVENT_KEYS_ERASED = frozenset({"reason"})


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
    remote_deleted: int = 0
    remote_errors: int = 0
    failed: int = 0

    def summary(self) -> str:
        text = (
            f"Purged files of {self.envelopes_files} envelopes ({self.files} files) and erased personal data "
            f"of {self.envelopes_personal} envelopes."
        )
        if self.remote_deleted or self.remote_errors:
            text += f" Deleted {self.remote_deleted} at the provider; {self.remote_errors} provider errors."
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
    return Envelope.objects.filter(org=org, status__in=TERMINAL, legal_hold=False).alias(finished=finished_at())


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


def _claim(*, now: datetime, batch_size: int) -> list[tuple[Organization, int]]:
    """Takes up to `batch_size` due envelopes nobody else is working on, and leases them."""
    claimed: list[tuple[Organization, int]] = []
    for org in _orgs_with_policy():
        room = batch_size - len(claimed)
        if room <= 0:
            break
        due = _due(org, _files_due_q(org, now), _personal_due_q(org, now))
        free = due.filter(Q(purge_after__isnull=True) | Q(purge_after__lte=now))
        with transaction.atomic():
            rows = free.select_for_update(skip_locked=True, of=("self",)).order_by("pk")
            ids = list(rows.values_list("pk", flat=True)[:room])
            if ids:
                Envelope.objects.filter(pk__in=ids).update(purge_after=now + CLAIM_LEASE)
        claimed += [(org, pk) for pk in ids]
    return claimed


def retention_purge_batch(
    *,
    now: datetime | None = None,
    batch_size: int = 200,
    report: PurgeReport | None = None,
    deadline: float | None = None,
) -> int:
    """Claims up to `batch_size` envelopes with something due and purges each in its own short
    transaction. Returns how many were claimed (0: nothing left). An envelope that fails is logged,
    counted in `report` and stays claimed, so it is retried once its lease has run out. Past
    `deadline` (a time.monotonic() value) the envelopes not yet started are handed back."""
    now = now or timezone.now()
    report = report if report is not None else PurgeReport()
    claimed = _claim(now=now, batch_size=batch_size)
    for position, (org, envelope_id) in enumerate(claimed):
        if deadline is not None and time.monotonic() >= deadline:
            Envelope.objects.filter(pk__in=[pk for _, pk in claimed[position:]]).update(purge_after=None)
            break
        try:
            _envelope_purge(org=org, envelope_id=envelope_id, now=now, report=report)
        except Exception:
            log.exception("retention: purging envelope %s failed; retrying after the lease", envelope_id)
            report.failed += 1
            continue
        Envelope.objects.filter(pk=envelope_id).update(purge_after=None)
    return len(claimed)


def retention_purge_run(*, seconds: float | None = 60, batch_size: int = 200) -> PurgeReport:
    """Purges batch after batch until nothing is due or `seconds` have passed (None: no limit)."""
    report = PurgeReport()
    deadline = None if seconds is None else time.monotonic() + seconds
    while retention_purge_batch(batch_size=batch_size, report=report, deadline=deadline):
        if deadline is not None and time.monotonic() >= deadline:
            break
    return report


def _envelope_purge(*, org: Organization, envelope_id: int, now: datetime, report: PurgeReport) -> None:
    envelope = Envelope.objects.annotate(finished=finished_at()).get(pk=envelope_id)
    if envelope.legal_hold:
        return
    files_cutoff = _cutoff(now, org.retention_files_days)
    if envelope.purged_at is None and files_cutoff is not None and envelope.finished <= files_cutoff:
        _files_purge(envelope=envelope, days=org.retention_files_days, now=now, report=report)
    personal_cutoff = _cutoff(now, org.retention_personal_days)
    if envelope.personal_erased_at is None and personal_cutoff is not None and envelope.finished <= personal_cutoff:
        _personal_erase(envelope=envelope, days=org.retention_personal_days, now=now, report=report)


def _remote_delete(envelope: Envelope) -> dict:
    """Asks the provider to delete its copy; what happened, for the proof event. Outside any transaction."""
    if not envelope.remote_id:
        return {}
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


def _stored_files(envelope: Envelope) -> list[tuple[FieldFile, str]]:
    """Every file of the envelope with its recorded sha256: originals, signed documents, the sealed envelope."""
    found = []
    for document in Document.objects.filter(envelope=envelope).order_by("position", "id"):
        found += [(document.file, document.sha256), (document.signed_file, document.signed_sha256)]
    found.append((envelope.signed_file, envelope.signed_sha256))
    return [(stored, sha256) for stored, sha256 in found if stored]


def _files_purge(*, envelope: Envelope, days: int, now: datetime, report: PurgeReport) -> None:
    """Deletes the envelope's documents here and at the provider and appends the proof event."""
    if Envelope.objects.filter(pk=envelope.pk, legal_hold=True).exists():
        return  # put on hold since it was claimed: do not even ask the provider
    remote = _remote_delete(envelope)
    with transaction.atomic():
        locked = Envelope.objects.select_for_update().get(pk=envelope.pk)
        if locked.legal_hold or locked.purged_at is not None:
            return
        deleted = []
        for stored, sha256 in _stored_files(locked):
            # The rows keep the file names: pages that serve a file then say it is no longer stored
            # (an emptied field would crash them), and a run interrupted here deletes them again
            # (deleting a missing file is a no-op). purged_at is what marks the stage done.
            stored.storage.delete(stored.name)
            deleted.append({"name": os.path.basename(stored.name), "sha256": sha256})
        Envelope.objects.filter(pk=envelope.pk).update(purged_at=now)
        event_append(
            envelope=locked,
            kind="envelope.files_purged",
            source=EventSource.SYSTEM,
            data={"files": deleted, "policy_days": days, "at": now.isoformat(), **remote},
        )
    report.envelopes_files += 1
    report.files += len(deleted)
    report.remote_deleted += int(remote.get("remote_deleted", False))
    report.remote_errors += int("remote_error" in remote)


def _scrub(value, *, participant_event: bool):
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if key in _EVENT_KEYS_ERASED or (participant_event and key in _PARTICIPANT_EVENT_KEYS_ERASED):
                continue
            if participant_event and key == "name":
                kept[key] = ERASED_NAME
                continue
            kept[key] = _scrub(item, participant_event=participant_event)
        return kept
    if isinstance(value, list):
        return [_scrub(item, participant_event=participant_event) for item in value]
    return value


def _events_erase(envelope: Envelope, *, rehash: bool) -> tuple[int, str]:
    """Removes personal data from the envelope's events. With `rehash`, relinks the chain from the
    first changed event on. Returns (events rewritten, head hash)."""
    prev, rewritten = "", 0
    for event in EnvelopeEvent.objects.filter(envelope=envelope).order_by("id"):
        data = _scrub(event.data, participant_event=event.kind.startswith("participant."))
        changed = data != event.data
        event.data = data
        if rehash and (changed or event.prev_hash != prev):
            event.prev_hash = prev
            event.hash = event_hash(event)
            changed = True
        if changed:
            EnvelopeEvent.objects.filter(pk=event.pk).update(
                data=event.data, prev_hash=event.prev_hash, hash=event.hash
            )
            rewritten += 1
        prev = event.hash
    return rewritten, prev


def _personal_erase(*, envelope: Envelope, days: int, now: datetime, report: PurgeReport) -> None:
    """Blanks the participants' personal fields and removes personal data from the events.

    The events are hash-chained, so changing their data breaks the chain. When the chain verifies
    before the erasure, it is relinked over the erased data in the same transaction and an
    `envelope.personal_data_erased` event records the old head hash, the new one and the policy:
    verify_chain passes, and the trail says that (and when, and why) it was rewritten. When the
    chain was already broken, relinking would hide whatever broke it, so the data is erased without
    relinking and the proof event records the earlier break."""
    with transaction.atomic():
        locked = Envelope.objects.select_for_update().get(pk=envelope.pk)
        if locked.legal_hold or locked.personal_erased_at is not None:
            return
        before = verify_chain(envelope=locked)
        old_head = locked.last_event_hash
        people = Participant.objects.filter(envelope=locked).update(
            name=ERASED_NAME, email="", phone="", personal_number="", decline_reason=""
        )
        rewritten, head = _events_erase(locked, rehash=before.ok)
        if before.ok:
            Envelope.objects.filter(pk=locked.pk).update(last_event_hash=head)
        Envelope.objects.filter(pk=locked.pk).update(personal_erased_at=now)
        proof = {
            "policy_days": days,
            "at": now.isoformat(),
            "participants": people,
            "events_rewritten": rewritten,
            "old_head": old_head,
            "new_head": head if before.ok else old_head,
            "chain_relinked": before.ok,
        }
        if not before.ok:
            proof["chain_broken_before"] = {"event": before.broken_event_id, "problem": before.problem}
        event_append(envelope=locked, kind="envelope.personal_data_erased", source=EventSource.SYSTEM, data=proof)
    report.envelopes_personal += 1
