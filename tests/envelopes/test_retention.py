"""Retention: documents deleted N days and personal data erased M days after an envelope finished,
with proof events, legal hold, safe re-runs and resumption; run through the real task functions."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_q.conf import Conf
from django_q.models import OrmQ

from envelopes.lifecycle.audit import event_append, verify_chain
from envelopes.models import Document, Envelope, EnvelopeEvent, EnvelopeStatus, EventSource, Participant
from envelopes.outgoing.retention import (
    ERASED_NAME,
    RETRY_FAILED_AFTER,
    RetentionPreview,
    retention_preview,
    retention_purge_batch,
    retention_purge_run,
)
from envelopes.tasks import delete_at_providers, retention_purge
from portal.models import Role
from portal.pages.forms import OrganizationSettingsForm
from portal.schedules import SCHEDULES

FINISHED = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def days_after(days: float) -> datetime:
    return FINISHED + timedelta(days=days)


@pytest.fixture(autouse=True)
def _tasks_run_inline(monkeypatch):
    # The provider deletions the purge queues run in the test once the batch commits, as a worker
    # would run them.
    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def policy_org(make_org):
    def make(files_days: int | None = 30, personal_days: int | None = 90):
        org = make_org()
        org.retention_files_days = files_days
        org.retention_personal_days = personal_days
        org.save()
        return org

    return make


@pytest.fixture
def finished_envelope(fake_providers, make_envelope, make_document, make_participant):
    """A completed envelope sent with the in-memory provider: two documents (one signed), the sealed
    envelope, two participants and events recording IP addresses, all at FINISHED."""

    def make(org, status: str = EnvelopeStatus.COMPLETED, provider: str = "memory", **fields) -> Envelope:
        remote_id = f"mem-{org.pk}-{Envelope.objects.count() + 1}"
        fake_providers.remote[remote_id] = {"status": status}
        stamp = {EnvelopeStatus.COMPLETED: "completed_at", EnvelopeStatus.VOIDED: "voided_at"}.get(status)
        if stamp:
            fields.setdefault(stamp, FINISHED)
        with time_machine.travel(FINISHED - timedelta(days=2), tick=False):
            envelope = make_envelope(org=org, status=status, provider=provider, remote_id=remote_id, **fields)
            first = make_document(envelope)
            make_document(envelope)
            signed = b"%PDF-1.7 signed copy"
            first.signed_file.save("signed.pdf", ContentFile(signed), save=False)
            first.signed_sha256 = hashlib.sha256(signed).hexdigest()
            first.save()
            envelope.signed_file.save("sealed.pdf", ContentFile(b"%PDF-1.7 sealed"), save=False)
            envelope.signed_sha256 = hashlib.sha256(b"%PDF-1.7 sealed").hexdigest()
            envelope.save()
            people = [
                make_participant(envelope, phone="+46701234567", personal_number="19900101-1234"),
                make_participant(envelope),
            ]
            event_append(envelope=envelope, kind="envelope.created")
            event_append(envelope=envelope, kind="participant.added", participant=people[0], data={"name": "Ann"})
            for person in people:
                event_append(
                    envelope=envelope,
                    kind="participant.opened",
                    participant=person,
                    source=EventSource.PROVIDER,
                    data={"ip": "203.0.113.7", "user_agent": "Firefox", "method": "email_otp"},
                )
        kind = {EnvelopeStatus.DECLINED: "envelope.declined", EnvelopeStatus.EXPIRED: "envelope.expired"}.get(
            status, f"envelope.{status}"
        )
        event_append(envelope=envelope, kind=kind, source=EventSource.SYSTEM, occurred_at=FINISHED)
        return envelope

    return make


def stored_names(envelope: Envelope) -> list[str]:
    """The envelope's files still in storage."""
    envelope.refresh_from_db()
    files = [envelope.signed_file] if envelope.signed_file else []
    for document in envelope.documents.all():
        files += [f for f in (document.file, document.signed_file) if f]
    return [f.name for f in files if f.storage.exists(f.name)]


def events_of(envelope: Envelope, kind: str) -> list[EnvelopeEvent]:
    return list(EnvelopeEvent.objects.filter(envelope=envelope, kind=kind))


def run_task_at(moment: datetime) -> str:
    with time_machine.travel(moment, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        return retention_purge()


def test_the_purge_runs_every_hour():
    assert any(s.func == "envelopes.tasks.retention_purge" and s.minutes == 60 for s in SCHEDULES)


def test_files_are_kept_until_the_policy_days_have_passed(policy_org, finished_envelope):
    envelope = finished_envelope(policy_org(files_days=30, personal_days=None))
    files = stored_names(envelope)
    assert len(files) == 4

    run_task_at(days_after(29.9))

    assert stored_names(envelope) == files
    assert not events_of(envelope, "envelope.files_purged")


def test_files_are_deleted_after_the_policy_days_with_a_proof_event(policy_org, finished_envelope, fake_providers):
    envelope = finished_envelope(policy_org(files_days=30, personal_days=None))
    storage = envelope.documents.first().file.storage
    files = stored_names(envelope)
    expected_hashes = {d.sha256 for d in envelope.documents.all()} | {envelope.signed_sha256}
    expected_hashes.add(envelope.documents.first().signed_sha256)

    summary = run_task_at(days_after(30.1))

    assert "Purged files of 1 envelopes (4 files)" in summary
    assert stored_names(envelope) == []
    assert not any(storage.exists(name) for name in files)
    envelope.refresh_from_db()
    assert envelope.purged_at == days_after(30.1)
    assert envelope.personal_erased_at is None
    (proof,) = events_of(envelope, "envelope.files_purged")
    assert proof.source == EventSource.SYSTEM
    assert proof.data["policy_days"] == 30
    assert proof.data["at"] == days_after(30.1).isoformat()
    assert {f["sha256"] for f in proof.data["files"]} == expected_hashes
    assert len(proof.data["files"]) == 4
    assert proof.data["remote_delete"] == "queued"
    # The provider's copy is deleted by the task the purge queued, and that has its own proof.
    (remote,) = events_of(envelope, "envelope.remote_purged")
    assert remote.data == {"remote_deleted": True, "at": days_after(30.1).isoformat()}
    assert remote.pk > proof.pk
    assert ("delete_remote", envelope.remote_id) in fake_providers.calls
    assert envelope.remote_id not in fake_providers.remote
    assert verify_chain(envelope=envelope).ok
    # Personal data is untouched by the files stage.
    assert Participant.objects.filter(envelope=envelope, name=ERASED_NAME).count() == 0


@pytest.mark.parametrize(
    "status", [EnvelopeStatus.COMPLETED, EnvelopeStatus.DECLINED, EnvelopeStatus.VOIDED, EnvelopeStatus.EXPIRED]
)
def test_every_finished_status_counts_from_when_it_finished(policy_org, finished_envelope, status):
    envelope = finished_envelope(policy_org(files_days=30, personal_days=None), status=status)
    # Later writes to the envelope (here: a moved updated_at) do not restart the clock.
    Envelope.objects.filter(pk=envelope.pk).update(updated_at=days_after(20))

    run_task_at(days_after(29))
    assert stored_names(envelope)
    run_task_at(days_after(31))
    assert stored_names(envelope) == []


def test_unfinished_envelopes_are_never_purged(policy_org, finished_envelope):
    envelope = finished_envelope(policy_org(files_days=1, personal_days=1), status=EnvelopeStatus.SENT)

    run_task_at(days_after(400))

    assert len(stored_names(envelope)) == 4
    assert not Participant.objects.filter(envelope=envelope, name=ERASED_NAME).exists()


def test_personal_data_is_erased_after_its_own_policy_days(policy_org, finished_envelope):
    envelope = finished_envelope(policy_org(files_days=30, personal_days=90))
    Participant.objects.filter(envelope=envelope).update(decline_reason="Wrong price")
    run_task_at(days_after(31))
    assert not Participant.objects.filter(envelope=envelope, name=ERASED_NAME).exists()
    old_head = Envelope.objects.get(pk=envelope.pk).last_event_hash

    run_task_at(days_after(90.5))

    people = list(Participant.objects.filter(envelope=envelope))
    assert len(people) == 2
    for person in people:
        assert (person.name, person.email, person.phone, person.personal_number, person.decline_reason) == (
            ERASED_NAME,
            "",
            "",
            "",
            "",
        )
    for event in EnvelopeEvent.objects.filter(envelope=envelope):
        assert "ip" not in event.data and "user_agent" not in event.data
    (added,) = events_of(envelope, "participant.added")
    assert added.data == {"name": ERASED_NAME}
    assert events_of(envelope, "participant.opened")[0].data == {"method": "email_otp"}
    assert verify_chain(envelope=envelope).ok
    (proof,) = events_of(envelope, "envelope.personal_data_erased")
    assert proof.data["policy_days"] == 90
    assert proof.data["at"] == days_after(90.5).isoformat()
    assert proof.data["participants"] == 2
    assert proof.data["old_head"] == old_head
    assert proof.data["new_head"] == proof.prev_hash != old_head
    assert proof.data["chain_relinked"] is True
    # The documents' proof survives the erasure.
    (files_proof,) = events_of(envelope, "envelope.files_purged")
    assert len(files_proof.data["files"]) == 4
    envelope.refresh_from_db()
    assert envelope.personal_erased_at == days_after(90.5)


def test_a_chain_broken_before_erasure_is_not_relinked(policy_org, finished_envelope):
    envelope = finished_envelope(policy_org(files_days=None, personal_days=10))
    tampered = events_of(envelope, "envelope.created")[0]
    EnvelopeEvent.objects.filter(pk=tampered.pk).update(data={"note": "changed later"})

    run_task_at(days_after(11))

    report = verify_chain(envelope=envelope)
    assert not report.ok and report.broken_event_id == tampered.pk
    (proof,) = events_of(envelope, "envelope.personal_data_erased")
    assert proof.data["chain_relinked"] is False
    assert proof.data["chain_broken_before"]["event"] == tampered.pk
    assert Participant.objects.filter(envelope=envelope, name=ERASED_NAME).count() == 2
    # Files are kept forever under this policy.
    assert len(stored_names(envelope)) == 4


def test_legal_hold_blocks_both_stages(policy_org, finished_envelope, fake_providers):
    org = policy_org(files_days=30, personal_days=30)
    held = finished_envelope(org, legal_hold=True)
    free = finished_envelope(org)

    run_task_at(days_after(365))

    assert len(stored_names(held)) == 4
    assert not Participant.objects.filter(envelope=held, name=ERASED_NAME).exists()
    assert not EnvelopeEvent.objects.filter(envelope=held, kind__startswith="envelope.files").exists()
    assert ("delete_remote", held.remote_id) not in fake_providers.calls
    assert stored_names(free) == []

    Envelope.objects.filter(pk=held.pk).update(legal_hold=False)
    run_task_at(days_after(366))
    assert stored_names(held) == []
    assert Participant.objects.filter(envelope=held, name=ERASED_NAME).count() == 2


def test_running_the_task_twice_changes_nothing_the_second_time(policy_org, finished_envelope, fake_providers):
    org = policy_org(files_days=30, personal_days=30)
    envelopes = [finished_envelope(org) for _ in range(3)]
    run_task_at(days_after(31))
    events = list(EnvelopeEvent.objects.order_by("id").values_list("id", "hash"))
    calls = list(fake_providers.calls)
    snapshot = list(Envelope.objects.order_by("id").values_list("purged_at", "personal_erased_at", "last_event_hash"))

    summary = run_task_at(days_after(32))

    assert summary.startswith("Purged files of 0 envelopes (0 files) and erased personal data of 0 envelopes.")
    assert list(EnvelopeEvent.objects.order_by("id").values_list("id", "hash")) == events
    assert fake_providers.calls == calls
    assert (
        list(Envelope.objects.order_by("id").values_list("purged_at", "personal_erased_at", "last_event_hash"))
        == snapshot
    )
    assert all(verify_chain(envelope=e).ok for e in envelopes)


class Interrupted(BaseException):
    """What a worker killed by its timeout looks like from inside: nothing catches it."""


def test_an_interrupted_batch_leaves_nothing_half_recorded_and_the_next_run_finishes_it(
    policy_org, finished_envelope, fake_providers, monkeypatch
):
    org = policy_org(files_days=30, personal_days=30)
    envelopes = [finished_envelope(org) for _ in range(5)]
    real_delete = FileSystemStorage.delete
    deletes: list[str] = []

    def delete_until_third_envelope(storage, name):
        deletes.append(name)
        if len(deletes) == 9:  # each envelope has 4 files: this is the third envelope's first
            raise Interrupted
        return real_delete(storage, name)

    monkeypatch.setattr(FileSystemStorage, "delete", delete_until_third_envelope)
    with pytest.raises(Interrupted):
        run_task_at(days_after(31))
    monkeypatch.setattr(FileSystemStorage, "delete", real_delete)

    # The batch's transaction rolled back: no envelope is marked done, no proof written, the
    # provider not asked, and no lease keeps the next run waiting.
    assert not Envelope.objects.filter(pk__in=[e.pk for e in envelopes], purged_at__isnull=False).exists()
    assert not EnvelopeEvent.objects.filter(kind__in=["envelope.files_purged", "envelope.personal_data_erased"])
    assert not [call for call in fake_providers.calls if call[0] == "delete_remote"]

    summary = run_task_at(days_after(31) + timedelta(minutes=1))

    assert "Purged files of 5 envelopes (20 files) and erased personal data of 5 envelopes." in summary
    for envelope in envelopes:
        assert stored_names(envelope) == []
        assert len(events_of(envelope, "envelope.files_purged")) == 1
        assert len(events_of(envelope, "envelope.remote_purged")) == 1
        assert verify_chain(envelope=envelope).ok
    asked = [call[1] for call in fake_providers.calls if call[0] == "delete_remote"]
    assert sorted(asked) == sorted(e.remote_id for e in envelopes)


def test_a_failing_envelope_does_not_stop_the_others_and_is_retried(policy_org, finished_envelope, monkeypatch):
    org = policy_org(files_days=30, personal_days=None)
    broken, fine = finished_envelope(org), finished_envelope(org)
    real_delete = FileSystemStorage.delete

    def disk_error_for_broken(storage, name):
        if f"/envelopes/{broken.pk}/" in name:
            raise OSError("disk on fire")
        return real_delete(storage, name)

    monkeypatch.setattr(FileSystemStorage, "delete", disk_error_for_broken)
    summary = run_task_at(days_after(31))

    assert "1 envelopes failed" in summary
    assert stored_names(fine) == []
    assert len(stored_names(broken)) >= 1
    assert not events_of(broken, "envelope.files_purged")

    monkeypatch.setattr(FileSystemStorage, "delete", real_delete)
    run_task_at(days_after(31) + RETRY_FAILED_AFTER * 2)
    assert stored_names(broken) == []
    assert len(events_of(broken, "envelope.files_purged")) == 1


def test_a_provider_error_is_recorded_and_the_local_purge_goes_on(policy_org, finished_envelope, fake_providers):
    from providers.base import ProviderError

    envelope = finished_envelope(policy_org(files_days=30, personal_days=None))
    fake_providers.fail_next.append(ProviderError("Memory Sign is down; try again later."))

    run_task_at(days_after(31))

    assert stored_names(envelope) == []
    assert len(events_of(envelope, "envelope.files_purged")) == 1
    (remote,) = events_of(envelope, "envelope.remote_purged")
    assert remote.data["remote_deleted"] is False
    assert remote.data["remote_error"] == "Memory Sign is down; try again later."


def test_a_provider_without_remote_delete_is_not_asked(policy_org, finished_envelope, fake_providers):
    envelope = finished_envelope(policy_org(files_days=30, personal_days=None), provider="limited")

    run_task_at(days_after(31))

    assert not [call for call in fake_providers.calls if call[0] == "delete_remote"]
    (remote,) = events_of(envelope, "envelope.remote_purged")
    assert remote.data["remote_deleted"] is False
    assert remote.data["remote_note"] == "Limited Sign offers no deletion through its API."


def test_preview_counts_what_is_due(policy_org, finished_envelope):
    org = policy_org(files_days=30, personal_days=60)
    finished_envelope(org)
    finished_envelope(org, status=EnvelopeStatus.DECLINED)
    finished_envelope(org, legal_hold=True)
    other = policy_org(files_days=None, personal_days=None)
    finished_envelope(other)

    with time_machine.travel(days_after(31), tick=False):
        assert retention_preview(org=org) == RetentionPreview(envelopes_files=2, files=8, envelopes_personal=0)
        assert retention_preview(org=other) == RetentionPreview()
    with time_machine.travel(days_after(61), tick=False):
        assert retention_preview() == RetentionPreview(envelopes_files=2, files=8, envelopes_personal=2)
    run_task_at(days_after(31))
    with time_machine.travel(days_after(61), tick=False):
        assert retention_preview() == RetentionPreview(envelopes_files=0, files=0, envelopes_personal=2)


def test_purge_dry_run_prints_the_preview_and_changes_nothing(policy_org, finished_envelope):
    org = policy_org(files_days=30, personal_days=30)
    envelope = finished_envelope(org)
    out = StringIO()

    with time_machine.travel(days_after(31), tick=False):
        call_command("purge", "--dry-run", stdout=out)

    assert "Will purge files of 1 envelopes (4 files) and erase personal data of 1 envelopes." in out.getvalue()
    assert len(stored_names(envelope)) == 4
    assert not events_of(envelope, "envelope.personal_data_erased")


def test_purge_command_purges_and_says_what_it_did(policy_org, finished_envelope):
    envelope = finished_envelope(policy_org(files_days=30, personal_days=30))
    out = StringIO()

    with time_machine.travel(days_after(31), tick=False):
        call_command("purge", stdout=out)

    assert "Purged files of 1 envelopes (4 files) and erased personal data of 1 envelopes." in out.getvalue()
    assert stored_names(envelope) == []


def test_settings_page_previews_the_next_run_for_admins(member_client, policy_org, finished_envelope):
    org = policy_org(files_days=30, personal_days=30)
    finished_envelope(org)
    client, _ = member_client(role=Role.ADMIN, org=org)

    with time_machine.travel(days_after(31), tick=True):
        response = client.get(reverse("organization_settings"))

    assert response.status_code == 200
    assert "Next run: will delete 4 files of 1 envelope and erase personal data of 1 envelope." in response.text


def test_settings_page_hides_the_preview_from_viewers(member_client, policy_org):
    client, _ = member_client(role=Role.VIEWER, org=policy_org())

    response = client.get(reverse("organization_settings"))

    assert response.status_code == 200
    assert "retention-preview" not in response.text


def test_admin_saves_a_retention_policy(member_client, make_org):
    client, membership = member_client(role=Role.ADMIN)
    org = membership.org
    form = {
        "name": org.name,
        "default_expiry_days": 30,
        "reminder_first_after_days": 3,
        "reminder_every_days": 3,
        "reminder_max": 3,
        "expiry_warning_days": 3,
        "retention_files_days": 30,
        "retention_personal_days": 90,
    }

    response = client.post(reverse("organization_settings"), form)

    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.retention_files_days, org.retention_personal_days) == (30, 90)


@pytest.mark.parametrize(
    ("files_days", "personal_days", "valid"),
    [("", "", True), ("30", "", True), ("", "30", True), ("30", "30", True), ("30", "90", True), ("90", "30", False)],
)
def test_personal_data_cannot_be_erased_before_documents_are_deleted(make_org, files_days, personal_days, valid):
    org = make_org()
    data = {
        "name": org.name,
        "default_expiry_days": 30,
        "reminder_first_after_days": 3,
        "reminder_every_days": 3,
        "reminder_max": 3,
        "expiry_warning_days": 3,
        "retention_files_days": files_days,
        "retention_personal_days": personal_days,
    }

    form = OrganizationSettingsForm(data, instance=org)

    assert form.is_valid() is valid
    if not valid:
        assert form.errors == {
            "retention_personal_days": [
                "Erase personal data no sooner than documents are deleted: choose 90 days or more."
            ]
        }


def test_empty_retention_fields_keep_everything_forever(make_org):
    org = make_org()
    assert (org.retention_files_days, org.retention_personal_days) == (None, None)
    assert "Leave empty to keep them" in OrganizationSettingsForm().fields["retention_files_days"].help_text
    assert Document.objects.count() == 0


def test_purges_work_in_bounded_batches(policy_org, finished_envelope):
    org = policy_org(files_days=30, personal_days=None)
    envelopes = [finished_envelope(org) for _ in range(3)]

    with time_machine.travel(days_after(31), tick=False):
        assert retention_purge_batch(batch_size=2) == 2
        assert [bool(stored_names(e)) for e in envelopes] == [False, False, True]
        assert retention_purge_batch(batch_size=2) == 1
        assert retention_purge_batch(batch_size=2) == 0


def test_a_run_stops_between_batches_once_its_time_is_up(policy_org, finished_envelope):
    org = policy_org(files_days=30, personal_days=None)
    envelopes = [finished_envelope(org) for _ in range(3)]

    with time_machine.travel(days_after(31), tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        report = retention_purge_run(seconds=0, batch_size=2)

    assert report.envelopes_files == 2
    assert [bool(stored_names(e)) for e in envelopes] == [False, False, True]
    run_task_at(days_after(31) + timedelta(minutes=1))
    assert stored_names(envelopes[2]) == []


def test_a_batch_takes_the_same_number_of_queries_however_many_envelopes_it_holds(policy_org, finished_envelope):
    org = policy_org(files_days=30, personal_days=30)
    for _ in range(8):
        finished_envelope(org)
    queries = []
    for size in (2, 6):
        with time_machine.travel(days_after(31), tick=False), CaptureQueriesContext(connection) as captured:
            assert retention_purge_batch(batch_size=size) == size
        queries.append(len(captured))

    assert queries[0] == queries[1]


def test_provider_copies_are_deleted_by_a_queued_task_not_inside_the_purge(
    policy_org, finished_envelope, fake_providers, monkeypatch
):
    monkeypatch.setattr(Conf, "SYNC", False)  # tasks go to the queue (the database broker in tests)
    org = policy_org(files_days=30, personal_days=None)
    envelopes = [finished_envelope(org) for _ in range(3)]

    with time_machine.travel(days_after(31), tick=False):
        assert retention_purge_batch() == 3

    assert all(stored_names(e) == [] for e in envelopes)
    assert not [call for call in fake_providers.calls if call[0] == "delete_remote"]
    (queued,) = [
        task
        for task in (row.task for row in OrmQ.objects.all())
        if task["func"] == "envelopes.tasks.delete_at_providers"
    ]
    assert sorted(queued["args"][0]) == sorted(e.pk for e in envelopes)

    assert delete_at_providers(*queued["args"]).startswith("deleted 3 envelope(s)")
    assert delete_at_providers(*queued["args"]).startswith("deleted 0 envelope(s)")  # a second run asks nobody

    asked = [call[1] for call in fake_providers.calls if call[0] == "delete_remote"]
    assert sorted(asked) == sorted(e.remote_id for e in envelopes)
    assert all(len(events_of(e, "envelope.remote_purged")) == 1 and verify_chain(envelope=e).ok for e in envelopes)


def test_a_legal_hold_placed_before_the_provider_is_asked_keeps_its_copy(
    policy_org, finished_envelope, fake_providers, monkeypatch
):
    monkeypatch.setattr(Conf, "SYNC", False)
    envelope = finished_envelope(policy_org(files_days=30, personal_days=None))
    with time_machine.travel(days_after(31), tick=False):
        retention_purge_batch()
    Envelope.objects.filter(pk=envelope.pk).update(legal_hold=True)

    delete_at_providers([envelope.pk])

    assert not [call for call in fake_providers.calls if call[0] == "delete_remote"]
    assert envelope.remote_id in fake_providers.remote
    (remote,) = events_of(envelope, "envelope.remote_purged")
    assert remote.data["remote_deleted"] is False
    assert remote.data["remote_note"] == "Kept at the provider: the envelope is on legal hold."


@pytest.mark.django_db(transaction=True)
def test_workers_purging_at_once_handle_each_envelope_once(policy_org, finished_envelope, fake_providers):
    org = policy_org(files_days=30, personal_days=30)
    envelopes = [finished_envelope(org) for _ in range(12)]
    start = threading.Barrier(3)
    reports = []

    def worker():
        start.wait()
        try:
            with time_machine.travel(days_after(31), tick=False):
                reports.append(retention_purge_run(seconds=None, batch_size=2))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.envelopes_files for r in reports) == sum(r.envelopes_personal for r in reports) == 12
    assert not any(r.failed for r in reports)
    for envelope in envelopes:
        assert len(events_of(envelope, "envelope.files_purged")) == 1
        assert len(events_of(envelope, "envelope.personal_data_erased")) == 1
        assert len(events_of(envelope, "envelope.remote_purged")) == 1
        assert verify_chain(envelope=envelope).ok
    asked = [call[1] for call in fake_providers.calls if call[0] == "delete_remote"]
    assert sorted(asked) == sorted(e.remote_id for e in envelopes)


def test_pages_say_a_purged_document_is_no_longer_stored(member_client, policy_org, finished_envelope):
    org = policy_org(files_days=30, personal_days=None)
    envelope = finished_envelope(org)
    client, _ = member_client(role=Role.VIEWER, org=org)
    run_task_at(days_after(31))

    document = envelope.documents.first()
    assert client.get(reverse("document_file", args=[document.pk])).status_code == 404
    assert client.get(reverse("envelope_signed_file", args=[envelope.pk])).status_code == 404
    # What was deleted stays on record.
    assert document.sha256 and document.name
