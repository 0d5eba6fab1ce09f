"""The audit trail: a hash chain anyone can recompute, that shows where it was tampered with,
never forks under concurrent writers, and that `manage.py verify_audit_trail` checks."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.urls import reverse

from envelopes.lifecycle.audit import event_append, verify_chain
from envelopes.models import Envelope, EnvelopeEvent, EventSource
from tests.conftest import child_environment
from tests.portal.test_processes import test_database_url

ROOT = Path(__file__).resolve().parents[2]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def append_events(envelope: Envelope, count: int) -> list[EnvelopeEvent]:
    return [event_append(envelope=envelope, kind="note", data={"n": n}) for n in range(count)]


def test_the_hash_is_sha256_of_the_previous_hash_and_the_canonical_json(make_envelope, make_participant, make_user):
    envelope = make_envelope()
    signer = make_participant(envelope)
    sender = make_user()

    first = event_append(
        envelope=envelope,
        kind="envelope.queued",
        actor=sender,
        data={"note": "Åsa ska skriva under", "b": [1, 2], "a": None},
        occurred_at=datetime(2025, 3, 1, 10, 30, 0, 123456, tzinfo=ZoneInfo("Europe/Stockholm")),
    )
    second = event_append(
        envelope=envelope,
        participant=signer,
        kind="participant.opened",
        source=EventSource.PROVIDER,
        remote_event_id="evt-1",
        occurred_at=datetime(2025, 3, 1, 9, 45, tzinfo=UTC),
    )

    # Sorted keys, no spaces, UTF-8 (not \\u escapes), times in UTC with microseconds.
    first_json = (
        f'{{"actor":"{sender.pk}","data":{{"a":null,"b":[1,2],"note":"Åsa ska skriva under"}},"envelope":{envelope.pk},'
        '"kind":"envelope.queued","occurred_at":"2025-03-01T09:30:00.123456+00:00","participant":null,'
        '"remote_event_id":null,"source":"user"}'
    )
    second_json = (
        f'{{"actor":null,"data":{{}},"envelope":{envelope.pk},"kind":"participant.opened",'
        f'"occurred_at":"2025-03-01T09:45:00.000000+00:00","participant":"{signer.pk}","remote_event_id":"evt-1",'
        '"source":"provider"}'
    )
    stored_first, stored_second = EnvelopeEvent.objects.filter(envelope=envelope).order_by("id")
    assert (stored_first.pk, stored_second.pk) == (first.pk, second.pk)
    assert stored_first.prev_hash == ""
    assert stored_first.hash == sha256(first_json)
    assert stored_second.prev_hash == stored_first.hash
    assert stored_second.hash == sha256(stored_first.hash + second_json)
    assert Envelope.objects.get(pk=envelope.pk).last_event_hash == stored_second.hash


def test_an_untouched_chain_verifies(make_envelope):
    envelope = make_envelope()
    events = append_events(envelope, 5)

    report = verify_chain(envelope=envelope)

    assert (report.ok, report.checked, report.broken_event_id) == (True, 5, None)
    links = list(EnvelopeEvent.objects.filter(envelope=envelope).order_by("id").values_list("prev_hash", "hash"))
    assert [prev for prev, _ in links] == ["", *(h for _, h in links[:-1])]
    assert [event.pk for event in events] == sorted(event.pk for event in events)


def test_an_envelope_without_events_verifies(make_envelope):
    report = verify_chain(envelope=make_envelope())

    assert (report.ok, report.checked) == (True, 0)


def test_a_changed_event_is_reported_as_the_first_broken_one(make_envelope):
    envelope = make_envelope()
    events = append_events(envelope, 4)

    EnvelopeEvent.objects.filter(pk=events[1].pk).update(data={"n": 99})

    report = verify_chain(envelope=envelope)
    assert (report.ok, report.checked, report.broken_event_id) == (False, 2, events[1].pk)
    assert "hash mismatch" in report.problem


def test_a_deleted_middle_event_is_reported_at_the_event_after_it(make_envelope):
    envelope = make_envelope()
    events = append_events(envelope, 4)

    EnvelopeEvent.objects.filter(pk=events[1].pk).delete()

    report = verify_chain(envelope=envelope)
    assert (report.ok, report.broken_event_id) == (False, events[2].pk)
    assert "link broken" in report.problem


def test_a_deleted_newest_event_is_reported_as_the_chain_ending_early(make_envelope):
    envelope = make_envelope()
    events = append_events(envelope, 3)

    EnvelopeEvent.objects.filter(pk=events[-1].pk).delete()

    report = verify_chain(envelope=envelope)
    assert (report.ok, report.checked, report.broken_event_id) == (False, 2, None)
    assert "chain ends early" in report.problem


def test_an_event_already_recorded_by_its_remote_id_is_not_appended_again(make_envelope):
    envelope = make_envelope()
    first = event_append(envelope=envelope, kind="provider.opened", source=EventSource.PROVIDER, remote_event_id="e1")
    head = Envelope.objects.get(pk=envelope.pk).last_event_hash

    again = event_append(envelope=envelope, kind="provider.opened", source=EventSource.PROVIDER, remote_event_id="e1")

    assert first is not None and again is None
    assert EnvelopeEvent.objects.filter(envelope=envelope).count() == 1
    assert Envelope.objects.get(pk=envelope.pk).last_event_hash == head
    assert verify_chain(envelope=envelope).ok


def test_the_same_remote_id_on_another_envelope_is_a_different_event(make_envelope):
    one, other = make_envelope(), make_envelope()

    assert event_append(envelope=one, kind="provider.sent", remote_event_id="e1") is not None
    assert event_append(envelope=other, kind="provider.sent", remote_event_id="e1") is not None


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_to_one_envelope_form_one_linear_chain(make_envelope):
    envelope = make_envelope()
    per_thread, thread_count = 15, 2
    barrier = threading.Barrier(thread_count)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            mine = Envelope.objects.get(pk=envelope.pk)
            barrier.wait(timeout=10)
            for n in range(per_thread):
                assert event_append(envelope=mine, kind="note", data={"writer": name, "n": n}) is not None
        except Exception as error:  # noqa: BLE001 -- a thread's failure is asserted by the test thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(f"w{i}",)) for i in range(thread_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    links = list(EnvelopeEvent.objects.filter(envelope=envelope).order_by("id").values_list("prev_hash", "hash"))
    assert len(links) == per_thread * thread_count
    assert [prev for prev, _ in links] == ["", *(h for _, h in links[:-1])]  # each event follows the one before
    report = verify_chain(envelope=envelope)
    assert (report.ok, report.checked) == (True, per_thread * thread_count)


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit_trail", *args, stdout=out)
    return out.getvalue()


def test_the_command_passes_clean_trails(make_envelope):
    for envelope in (make_envelope(), make_envelope(), make_envelope()):
        append_events(envelope, 2)

    assert run_command().splitlines() == ["Checked 3 envelopes, 0 broken."]


def test_the_command_names_the_envelope_and_event_that_was_changed(make_envelope):
    clean = make_envelope(title="Lease")
    append_events(clean, 2)
    tampered = make_envelope(title="Sales agreement")
    events = append_events(tampered, 3)
    EnvelopeEvent.objects.filter(pk=events[1].pk).update(kind="envelope.voided")

    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("verify_audit_trail", stdout=out)

    assert out.getvalue().splitlines() == [
        f"Envelope {tampered.pk} (Sales agreement): event {events[1].pk} was changed after it was recorded "
        "(hash mismatch)",
        "Checked 2 envelopes, 1 broken.",
    ]
    assert f"envelope {tampered.pk} (at event {events[1].pk})" in str(refused.value)
    assert refused.value.returncode == 1


def test_the_command_reports_a_trail_cut_short(make_envelope):
    envelope = make_envelope(title="NDA")
    events = append_events(envelope, 2)
    EnvelopeEvent.objects.filter(pk=events[-1].pk).delete()

    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit_trail", stdout=out)

    assert out.getvalue().splitlines()[0] == (
        f"Envelope {envelope.pk} (NDA): the newest event is missing (the chain ends early)"
    )


def test_the_command_checks_only_the_chosen_envelopes(make_envelope):
    chosen = [make_envelope(), make_envelope()]
    for envelope in chosen:
        append_events(envelope, 2)
    tampered = make_envelope()
    EnvelopeEvent.objects.filter(pk=append_events(tampered, 1)[0].pk).update(data={"n": 7})

    output = run_command("--envelope", str(chosen[0].pk), "--envelope", str(chosen[1].pk))

    assert output.splitlines() == ["Checked 2 envelopes, 0 broken."]
    assert run_command("--envelope", str(chosen[0].pk)).splitlines() == ["Checked 1 envelope, 0 broken."]


def test_the_command_checks_only_the_chosen_organization(make_org, make_envelope):
    org, other_org = make_org(), make_org()
    append_events(make_envelope(org=org), 2)
    tampered = make_envelope(org=other_org)
    EnvelopeEvent.objects.filter(pk=append_events(tampered, 1)[0].pk).update(data={"n": 7})

    assert run_command("--org", org.slug).splitlines() == ["Checked 1 envelope, 0 broken."]
    with pytest.raises(CommandError, match=f"envelope {tampered.pk} "):
        run_command("--org", other_org.slug)


def test_the_command_refuses_an_unknown_organization_or_envelope(make_envelope):
    envelope = make_envelope()

    with pytest.raises(CommandError, match='No organization has the slug "nobody"'):
        run_command("--org", "nobody")
    with pytest.raises(CommandError, match=f"No envelope has the id {envelope.pk + 1000}"):
        run_command("--envelope", str(envelope.pk), str(envelope.pk + 1000))


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_with_status_1_when_a_trail_is_broken(make_envelope):
    envelope = make_envelope(title="Lease")
    events = append_events(envelope, 2)
    env = child_environment(DATABASE_URL=test_database_url())

    def run() -> subprocess.CompletedProcess:
        command = [sys.executable, "manage.py", "verify_audit_trail", "--envelope", str(envelope.pk)]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    clean = run()
    EnvelopeEvent.objects.filter(pk=events[0].pk).update(data={"n": 5})
    broken = run()

    assert (clean.returncode, clean.stdout) == (0, "Checked 1 envelope, 0 broken.\n")
    assert broken.returncode == 1
    assert f"Envelope {envelope.pk} (Lease): event {events[0].pk} was changed" in broken.stdout
    assert f"envelope {envelope.pk} (at event {events[0].pk})" in broken.stderr


def test_removing_a_draft_participant_or_deleting_a_user_keeps_the_chain_valid(make_member, make_envelope):
    from envelopes.composing.participants import participant_add, participant_remove

    member = make_member()
    envelope = make_envelope(org=member.org)
    anna = participant_add(envelope=envelope, name="Anna", email="anna@example.com", actor=member.user)
    participant_remove(participant=anna, actor=member.user)
    member.user.delete()
    assert verify_chain(envelope=envelope).ok


# --- Draft edits are evidence too -------------------------------------------------------------


@pytest.fixture
def composing(make_member, make_envelope, make_document):
    """A sender's draft with a two-page document and two participants (Anna, Bo)."""
    from envelopes.composing.participants import participant_add

    sender = make_member()
    envelope = make_envelope(org=sender.org, created_by=sender.user)
    document = make_document(envelope, pages=2, name="lease.pdf")
    anna = participant_add(envelope=envelope, name="Anna", email="anna@example.com", actor=sender.user)
    bo = participant_add(envelope=envelope, name="Bo", email="bo@example.com", actor=sender.user)
    return sender.user, envelope, document, anna, bo


def newest(envelope: Envelope) -> EnvelopeEvent:
    return envelope.events.order_by("-id").first()


def test_editing_a_participant_records_what_changed_and_who_changed_it(composing):
    from envelopes.composing.participants import participant_update

    user, envelope, _, anna, _ = composing
    participant_update(participant=anna, actor=user, email="anna@new.example", phone="+46 70 123 45 67")
    event = newest(envelope)
    assert (event.kind, event.label, event.actor, event.participant) == (
        "participant.edited",
        "Participant edited",
        user,
        anna,
    )
    assert event.data == {
        "email": {"from": "anna@example.com", "to": "anna@new.example"},
        "phone": {"from": "", "to": "+46701234567"},
    }
    count = envelope.events.count()
    participant_update(participant=anna, actor=user, email="anna@new.example")  # nothing changes
    assert envelope.events.count() == count
    assert verify_chain(envelope=envelope).ok


def test_reordering_and_the_signing_order_are_recorded(composing):
    from envelopes.composing.participants import envelope_set_signing_order, participant_move

    user, envelope, _, _, bo = composing
    envelope_set_signing_order(envelope=envelope, sequential=True, actor=user)
    event = newest(envelope)
    assert (event.kind, event.actor, event.data) == (
        "envelope.signing_order_changed",
        user,
        {"signing_order": "one after another"},
    )
    participant_move(participant=bo, offset=-1, actor=user)
    event = newest(envelope)
    assert (event.kind, event.participant, event.data) == (
        "participant.reordered",
        bo,
        {"from_position": 2, "to_position": 1},
    )


def test_placing_a_signature_records_where_before_and_after(composing):
    from envelopes.composing.participants import participant_place

    user, envelope, document, anna, _ = composing
    participant_place(participant=anna, document=document, page=2, x=100, y=120, actor=user)
    event = newest(envelope)
    assert (event.kind, event.actor, event.participant) == ("participant.placement_changed", user, anna)
    assert event.data == {
        "from": "signature page",
        "to": [{"document": "lease.pdf", "page": 2, "x": 100, "y": 120}],
    }
    count = envelope.events.count()
    participant_place(participant=anna, document=document, page=2, x=100, y=120, actor=user)  # the same spot
    assert envelope.events.count() == count
    participant_place(participant=anna, document=None, actor=user)
    assert newest(envelope).data["to"] == "signature page"


def test_changing_settings_records_the_old_and_new_values(composing):
    from envelopes.services import envelope_update

    user, envelope, _, _, _ = composing
    old_title = envelope.title
    envelope_update(envelope=envelope, actor=user, title="Lease 2027", message="Please sign", reminder_max=5)
    event = newest(envelope)
    assert (event.kind, event.label, event.actor) == ("envelope.settings_changed", "Settings changed", user)
    assert event.data == {
        "title": {"from": old_title, "to": "Lease 2027"},
        "message": {"from": "", "to": "Please sign"},
        "reminder_max": {"from": 3, "to": 5},
    }
    assert verify_chain(envelope=envelope).ok


def test_removing_a_participant_is_recorded(composing):
    from envelopes.composing.participants import participant_remove

    user, envelope, _, _, bo = composing
    participant_remove(participant=bo, actor=user)
    event = newest(envelope)
    assert (event.kind, event.actor, event.data["name"]) == ("participant.removed", user, "Bo")


def test_the_compose_page_records_who_reordered_changed_the_order_and_placed(
    member_client, make_envelope, make_document
):
    from envelopes.composing.participants import participant_add

    client, member = member_client()
    envelope = make_envelope(org=member.org)
    document = make_document(envelope, pages=1)
    anna = participant_add(envelope=envelope, name="Anna", email="anna@example.com")
    bo = participant_add(envelope=envelope, name="Bo", email="bo@example.com")

    client.post(reverse("signing_order", args=[envelope.pk]), {"mode": "sequential"})
    client.post(reverse("participant_reorder", args=[bo.pk]), {"direction": "up"})
    prefix = f"p{anna.pk}"
    client.post(
        reverse("participant_row", args=[anna.pk]),
        {
            f"{prefix}-name": "Anna",
            f"{prefix}-email": "anna@example.com",
            f"{prefix}-role": "signer",
            f"{prefix}-order": "2",
            f"{prefix}-delivery": "email",
            f"{prefix}-auth_view": "none",
            f"{prefix}-auth_sign": "none",
            f"{prefix}-document": str(document.pk),
            f"{prefix}-page": "1",
            f"{prefix}-x": "72",
            f"{prefix}-y": "90",
        },
    )
    recorded = {e.kind: e.actor for e in envelope.events.exclude(kind="participant.added")}
    assert recorded == {
        "envelope.signing_order_changed": member.user,
        "participant.reordered": member.user,
        "participant.placement_changed": member.user,
    }
