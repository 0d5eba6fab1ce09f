"""The state machines of DESIGN.md, checked pair by pair: every allowed move changes the row and
appends exactly one audit event; every other move changes nothing and records nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from envelopes.lifecycle.audit import verify_chain
from envelopes.lifecycle.states import envelope_transition, participant_transition
from envelopes.models import Envelope, EnvelopeEvent, EnvelopeStatus, EventSource, Participant, ParticipantStatus

AT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)

# Written from DESIGN.md's drawing, not copied from envelopes.lifecycle.states.
ENVELOPE_MOVES = {
    "draft": {"queued"},
    "queued": {"sending", "sent", "failed", "voided"},
    "sending": {"sent", "failed", "queued"},
    "sent": {"completed", "declined", "voided", "expired"},
    "failed": {"queued", "voided"},
    "completed": set(),
    "declined": set(),
    "voided": set(),
    "expired": set(),
}
ENVELOPE_STAMPS = {"sent": "sent_at", "completed": "completed_at", "voided": "voided_at"}
ENVELOPE_PAIRS = [(old, new) for old in ENVELOPE_MOVES for new in ENVELOPE_MOVES]

# Participants: waiting < invited < opened < a final state that depends on the role.
PARTICIPANT_STATUSES = ["waiting", "invited", "opened", "signed", "approved", "declined"]
NOT_FINAL = ["waiting", "invited", "opened"]
FINALS_BY_ROLE = {"signer": {"signed", "declined"}, "approver": {"approved", "declined"}, "viewer": set()}
PARTICIPANT_STAMPS = {
    "invited": "invited_at",
    "opened": "opened_at",
    "signed": "signed_at",
    "approved": "signed_at",  # the model has no approved_at: signed_at is when they finished
    "declined": "declined_at",
}
PARTICIPANT_STAMP_FIELDS = {"invited_at", "opened_at", "signed_at", "declined_at"}


def participant_moves(role: str) -> set[tuple[str, str]]:
    forward = {("waiting", "invited"), ("waiting", "opened"), ("invited", "opened")}
    return forward | {(old, final) for old in NOT_FINAL for final in FINALS_BY_ROLE[role]}


PARTICIPANT_CASES = [
    (role, old, new) for role in FINALS_BY_ROLE for old in PARTICIPANT_STATUSES for new in PARTICIPANT_STATUSES
]


def event_kinds(envelope: Envelope) -> list[str]:
    return list(EnvelopeEvent.objects.filter(envelope=envelope).order_by("id").values_list("kind", flat=True))


def test_the_tables_in_this_test_name_every_status():
    assert set(ENVELOPE_MOVES) == set(EnvelopeStatus.values)
    assert set(PARTICIPANT_STATUSES) == set(ParticipantStatus.values)


@pytest.mark.parametrize(("old", "new"), ENVELOPE_PAIRS, ids=[f"{old}->{new}" for old, new in ENVELOPE_PAIRS])
def test_envelope_moves_only_along_the_drawn_transitions(make_envelope, old, new):
    envelope = make_envelope(status=old)

    moved = envelope_transition(envelope=envelope, to=new, at=AT)

    stored = Envelope.objects.get(pk=envelope.pk)
    stamps = {field: getattr(stored, field) for field in ENVELOPE_STAMPS.values()}
    if new in ENVELOPE_MOVES[old]:
        assert moved is True
        assert stored.status == envelope.status == new
        assert event_kinds(envelope) == [f"envelope.{new}"]
        assert EnvelopeEvent.objects.get(envelope=envelope).data == {"from": old}
        expected_stamp = ENVELOPE_STAMPS.get(new)
        assert stamps == {field: AT if field == expected_stamp else None for field in stamps}
        assert verify_chain(envelope=envelope).ok
    else:
        assert moved is False
        assert stored.status == envelope.status == old
        assert event_kinds(envelope) == []
        assert stamps == dict.fromkeys(stamps)
        assert stored.last_event_hash == ""


@pytest.mark.parametrize(
    ("role", "old", "new"), PARTICIPANT_CASES, ids=[f"{role}:{old}->{new}" for role, old, new in PARTICIPANT_CASES]
)
def test_participant_moves_forward_only_to_a_final_state_of_their_role(make_envelope, make_participant, role, old, new):
    envelope = make_envelope(status=EnvelopeStatus.SENT)
    participant = make_participant(envelope, role=role, status=old)

    moved = participant_transition(participant=participant, to=new, at=AT)

    stored = Participant.objects.get(pk=participant.pk)
    stamped = {field for field in PARTICIPANT_STAMP_FIELDS if getattr(stored, field) is not None}
    if (old, new) in participant_moves(role):
        assert moved is True
        assert stored.status == participant.status == new
        event = EnvelopeEvent.objects.get(envelope=envelope)
        assert (event.kind, event.participant_id, event.data) == (f"participant.{new}", participant.pk, {"from": old})
        assert stamped == {PARTICIPANT_STAMPS[new]}
        assert getattr(stored, PARTICIPANT_STAMPS[new]) == AT
        assert verify_chain(envelope=envelope).ok
    else:
        assert moved is False
        assert stored.status == participant.status == old
        assert event_kinds(envelope) == []
        assert stamped == set()


def test_a_stale_envelope_copy_loses_to_the_first_writer(make_envelope):
    envelope = make_envelope(status=EnvelopeStatus.SENT)
    first = Envelope.objects.get(pk=envelope.pk)
    stale = Envelope.objects.get(pk=envelope.pk)

    assert envelope_transition(envelope=first, to=EnvelopeStatus.VOIDED, void_reason="Wrong recipient") is True
    assert envelope_transition(envelope=stale, to=EnvelopeStatus.COMPLETED) is False

    stored = Envelope.objects.get(pk=envelope.pk)
    assert (stored.status, stored.completed_at, stored.void_reason) == ("voided", None, "Wrong recipient")
    assert event_kinds(envelope) == ["envelope.voided"]
    assert stale.status == EnvelopeStatus.SENT  # the loser's copy is not pretended to have moved


def test_a_stale_participant_copy_loses_to_the_first_writer(make_envelope, make_participant):
    participant = make_participant(make_envelope(status=EnvelopeStatus.SENT), status=ParticipantStatus.OPENED)
    first = Participant.objects.get(pk=participant.pk)
    stale = Participant.objects.get(pk=participant.pk)

    assert participant_transition(participant=first, to=ParticipantStatus.DECLINED) is True
    assert participant_transition(participant=stale, to=ParticipantStatus.SIGNED) is False

    stored = Participant.objects.get(pk=participant.pk)
    assert (stored.status, stored.signed_at) == ("declined", None)
    assert event_kinds(participant.envelope) == ["participant.declined"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_one_envelope_leave_one_winner_and_one_event(make_envelope):
    envelope = make_envelope(status=EnvelopeStatus.SENT)
    barrier = threading.Barrier(2)
    results: dict[str, bool] = {}
    errors: list[BaseException] = []

    def worker(to: str) -> None:
        try:
            mine = Envelope.objects.get(pk=envelope.pk)
            barrier.wait(timeout=10)
            results[to] = envelope_transition(envelope=mine, to=to)
        except Exception as error:  # noqa: BLE001 -- a thread's failure is asserted by the test thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(to,)) for to in ("completed", "voided")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(results.values()) == [False, True]
    winner = next(to for to, won in results.items() if won)
    assert Envelope.objects.get(pk=envelope.pk).status == winner
    assert event_kinds(envelope) == [f"envelope.{winner}"]
    assert verify_chain(envelope=envelope).ok


def test_a_provider_event_delivered_twice_is_recorded_once(make_envelope, make_participant):
    participant = make_participant(make_envelope(status=EnvelopeStatus.SENT), status=ParticipantStatus.INVITED)

    # Each delivery is handled like a webhook task does: load by id, then apply.
    first = participant_transition(
        participant=Participant.objects.get(pk=participant.pk),
        to=ParticipantStatus.OPENED,
        source=EventSource.PROVIDER,
        remote_event_id="evt-1",
    )
    again = participant_transition(
        participant=Participant.objects.get(pk=participant.pk),
        to=ParticipantStatus.OPENED,
        source=EventSource.PROVIDER,
        remote_event_id="evt-1",
    )

    assert (first, again) == (True, False)
    assert event_kinds(participant.envelope) == ["participant.opened"]


def test_two_workers_handling_the_same_delivery_record_it_once(make_envelope, make_participant):
    participant = make_participant(make_envelope(status=EnvelopeStatus.SENT), status=ParticipantStatus.INVITED)
    copies = [Participant.objects.get(pk=participant.pk) for _ in range(2)]

    results = [
        participant_transition(participant=copy, to="signed", source=EventSource.PROVIDER, remote_event_id="evt-7")
        for copy in copies
    ]

    assert results == [True, False]
    assert event_kinds(participant.envelope) == ["participant.signed"]


def test_a_repeated_provider_event_does_not_fail_a_retried_envelope_again(make_envelope):
    # queued --evt-9 failed--> failed --retry--> queued --> sending; then evt-9 arrives again.
    envelope = make_envelope(status=EnvelopeStatus.QUEUED)
    assert envelope_transition(envelope=envelope, to="failed", source=EventSource.PROVIDER, remote_event_id="evt-9")
    assert envelope_transition(envelope=envelope, to="queued")
    assert envelope_transition(envelope=envelope, to="sending")

    repeated = envelope_transition(
        envelope=Envelope.objects.get(pk=envelope.pk), to="failed", source=EventSource.PROVIDER, remote_event_id="evt-9"
    )

    assert repeated is False
    assert Envelope.objects.get(pk=envelope.pk).status == EnvelopeStatus.SENDING
    assert event_kinds(envelope) == ["envelope.failed", "envelope.queued", "envelope.sending"]
    assert verify_chain(envelope=envelope).ok


def test_an_event_id_already_in_the_trail_moves_no_participant(make_envelope, make_participant):
    envelope = make_envelope(status=EnvelopeStatus.SENT)
    first, second = (make_participant(envelope, status=ParticipantStatus.INVITED) for _ in range(2))
    assert participant_transition(participant=first, to="signed", source=EventSource.PROVIDER, remote_event_id="e3")

    replayed = participant_transition(
        participant=second, to="signed", source=EventSource.PROVIDER, remote_event_id="e3"
    )

    stored = Participant.objects.get(pk=second.pk)
    assert replayed is False
    assert (second.status, stored.status, stored.signed_at) == ("invited", "invited", None)
    assert event_kinds(envelope) == ["participant.signed"]


def test_signed_arriving_before_opened_keeps_the_signature(make_envelope, make_participant):
    participant = make_participant(make_envelope(status=EnvelopeStatus.SENT), status=ParticipantStatus.INVITED)
    signed_at = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    opened_at = datetime(2025, 3, 1, 9, 55, tzinfo=UTC)

    signed = participant_transition(
        participant=Participant.objects.get(pk=participant.pk),
        to="signed",
        source=EventSource.PROVIDER,
        remote_event_id="evt-2",
        at=signed_at,
    )
    late_opened = participant_transition(
        participant=Participant.objects.get(pk=participant.pk),
        to="opened",
        source=EventSource.PROVIDER,
        remote_event_id="evt-1",
        at=opened_at,
    )

    stored = Participant.objects.get(pk=participant.pk)
    assert (signed, late_opened) == (True, False)
    assert (stored.status, stored.signed_at, stored.opened_at) == ("signed", signed_at, None)
    assert event_kinds(participant.envelope) == ["participant.signed"]


def test_a_late_sent_after_completed_changes_nothing(make_envelope):
    envelope = make_envelope(status=EnvelopeStatus.QUEUED)
    sent_at = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert envelope_transition(envelope=envelope, to="sent", at=sent_at)
    assert envelope_transition(envelope=envelope, to="completed", source=EventSource.PROVIDER, remote_event_id="e2")

    late = envelope_transition(
        envelope=Envelope.objects.get(pk=envelope.pk),
        to="sent",
        source=EventSource.PROVIDER,
        remote_event_id="e1",
        at=datetime(2025, 3, 2, tzinfo=UTC),
    )

    stored = Envelope.objects.get(pk=envelope.pk)
    assert late is False
    assert (stored.status, stored.sent_at) == ("completed", sent_at)
    assert event_kinds(envelope) == ["envelope.sent", "envelope.completed"]


@pytest.mark.parametrize(
    ("old", "new", "stamp"),
    [("queued", "sent", "sent_at"), ("sent", "completed", "completed_at"), ("failed", "voided", "voided_at")],
)
def test_reaching_a_milestone_stamps_its_time(make_envelope, old, new, stamp):
    envelope = make_envelope(status=old)

    assert envelope_transition(envelope=envelope, to=new, at=AT)

    assert getattr(envelope, stamp) == AT
    assert getattr(Envelope.objects.get(pk=envelope.pk), stamp) == AT
    assert EnvelopeEvent.objects.get(envelope=envelope).occurred_at == AT


def test_extra_fields_are_written_in_the_same_update_as_the_status(make_envelope):
    envelope = make_envelope(status=EnvelopeStatus.SENT)

    with CaptureQueriesContext(connection) as queries:
        assert envelope_transition(envelope=envelope, to="voided", at=AT, void_reason="Sent to the wrong customer")

    status_updates = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('UPDATE "envelopes_envelope" ') and '"status"' in query["sql"]
    ]
    assert len(status_updates) == 1
    assert '"void_reason"' in status_updates[0] and '"voided_at"' in status_updates[0]
    stored = Envelope.objects.get(pk=envelope.pk)
    assert (stored.status, stored.void_reason, stored.voided_at) == ("voided", "Sent to the wrong customer", AT)
    assert envelope.void_reason == "Sent to the wrong customer"


def test_a_refused_transition_does_not_write_its_extra_fields(make_envelope):
    envelope = make_envelope(status=EnvelopeStatus.COMPLETED)

    assert envelope_transition(envelope=envelope, to="voided", void_reason="Too late") is False

    stored = Envelope.objects.get(pk=envelope.pk)
    assert (stored.status, stored.void_reason, stored.voided_at) == ("completed", "", None)
