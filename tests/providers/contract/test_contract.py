"""The provider contract: what every adapter must do, checked against each provider's fake.

Each case runs once per driver in PROVIDER_DRIVERS. A case that needs something a provider does not
declare (a capability, a connected account, an HTTP transport) is skipped for it, with the reason.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from django.test import Client
from django.utils import timezone

from envelopes.incoming.apply import remote_events_apply, snapshot_apply
from envelopes.lifecycle.states import PARTICIPANT_RANK
from envelopes.models import Envelope, EnvelopeEvent, EnvelopeStatus
from envelopes.outgoing.sending import envelope_deliver
from providers.base import AuthExpired, Capability, Checkpoint, ProviderError, RemoteEnvelope, UnreadableAnswer
from providers.models import ConnectionStatus, ProviderConnection, WebhookDelivery
from tests.providers.contract.base import ACCOUNT, HTTP, Sent, webhook_url_for
from tests.providers.contract.drivers import PROVIDER_DRIVERS

ENVELOPE_RANK = {EnvelopeStatus.SENT: 0, EnvelopeStatus.COMPLETED: 1}
MAX_REMINDERS = 5  # every provider limits reminders well below this per signer and hour


@pytest.fixture(params=PROVIDER_DRIVERS, ids=lambda driver: driver.provider_id)
def driver(request, db):
    driver = request.param(request)
    reason = driver.known_breaks.get(case_id(request.node))
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    driver.setup()
    return driver


def case_id(item) -> str:
    """The case a test item runs, without the driver: "test_name" or "test_name[param]"."""
    params = [str(value) for name, value in item.callspec.params.items() if name != "driver"]
    return f"{item.originalname}[{'-'.join(params)}]" if params else item.originalname


def needs(driver, need: str) -> None:
    """Skips the case for a provider that does not declare `need`, saying so."""
    if driver.supports(need):
        return
    why = {
        ACCOUNT: "is used without a connected account (connect = None)",
        HTTP: "is not reached over HTTP",
    }.get(need, f"does not declare the capability {need!r}")
    pytest.skip(f"{driver.name} {why}")


def send(driver, envelope: Envelope | None = None) -> Sent:
    request = driver.make_request(envelope)
    envelope = Envelope.objects.get(pk=request.envelope_ref)
    return Sent(envelope, request, driver.connect().send(request, Checkpoint()))


def sign_all(driver, sent: Sent) -> None:
    for ref in sent.refs:
        driver.sign(sent, ref)


def refs_in(snapshot, sent: Sent) -> dict[str, str]:
    """Our ref → the participant's status in a snapshot (matched by ref, else by the provider's id)."""
    by_remote_id = {remote_id: ref for ref, remote_id in sent.remote.participant_ids.items()}
    return {(p.ref or by_remote_id.get(p.remote_id, "?")): p.status for p in snapshot.participants}


# --- Connecting and sending -----------------------------------------------------------------------


def test_the_connected_account_answers(driver):
    needs(driver, ACCOUNT)
    account = driver.connect().account()
    assert account.id and account.name
    assert account.id == driver.connection.account_id


def test_send_makes_one_remote_envelope_knowing_every_participant(driver):
    before = driver.remote_count()
    sent = send(driver)
    assert driver.remote_count() == before + 1
    assert sent.remote_id
    assert set(sent.remote.participant_ids) == set(sent.refs)
    assert all(sent.remote.participant_ids.values())


@pytest.mark.parametrize("dies", ["after saving", "before saving"])
def test_a_send_killed_at_any_step_resumes_into_exactly_one_remote_envelope(driver, dies):
    steps: list[dict] = []  # the checkpoint as saved after each step of an undisturbed send
    driver.connect().send(driver.make_request(), Checkpoint(persist=steps.append))
    assert steps, "a send records at least one checkpoint step"
    for step in range(len(steps)):
        before = driver.remote_count()
        request = driver.make_request()
        saved: dict = {}
        with pytest.raises(WorkerDied):
            driver.connect().send(request, Checkpoint(persist=dying_at(step, dies, saved)))
        resumed = driver.connect().send(request, Checkpoint(data=dict(saved), persist=saved.update))
        where = f"killed {dies} step {step + 1} of {len(steps)} ({', '.join(steps[step])})"
        assert driver.remote_count() == before + 1, where
        assert driver.connect().fetch(resumed.remote_id).status == "sent", where
        assert set(resumed.participant_ids) == {p.ref for p in request.participants}, where


class WorkerDied(BaseException):
    """The worker process ends mid-send (not an Exception: nothing in a send path may catch it)."""


def dying_at(step: int, dies: str, saved: dict):
    """A persist that keeps the checkpoint in `saved` and kills the worker at save number `step`:
    after the save went through, or before (the remote call was made, its result never stored)."""
    calls = iter(range(10_000))

    def persist(data: dict) -> None:
        number = next(calls)
        if number == step and dies == "before saving":
            raise WorkerDied
        saved.clear()
        saved.update(data)
        if number == step:
            raise WorkerDied

    return persist


# --- Reading back ---------------------------------------------------------------------------------


def test_fetch_maps_statuses_before_and_after_everyone_signs(driver):
    sent = send(driver)
    adapter = driver.connect()
    snapshot = adapter.fetch(sent.remote_id)
    assert snapshot.remote_id == sent.remote_id
    assert snapshot.status == "sent"
    assert set(refs_in(snapshot, sent).values()) <= {"invited", "waiting"}
    assert set(refs_in(snapshot, sent)) == set(sent.refs)
    sign_all(driver, sent)
    snapshot = adapter.fetch(sent.remote_id)
    assert snapshot.status == "completed"
    assert refs_in(snapshot, sent) == {ref: "signed" for ref in sent.refs}


def test_participant_events_late_and_twice_never_move_a_status_back(driver):
    envelope = driver.make_envelope(status=EnvelopeStatus.QUEUED)
    assert envelope_deliver(envelope_id=envelope.pk) == "sent"
    envelope.refresh_from_db()
    people = {str(p.pk): p.remote_id for p in envelope.participants.all()}
    sent = Sent(envelope, driver.make_request(envelope), RemoteEnvelope(envelope.remote_id, people))
    first, second = sent.refs
    adapter = driver.connect()
    snapshots = [adapter.fetch(sent.remote_id)]
    for act, ref in ((driver.open, first), (driver.sign, first), (driver.sign, second)):
        act(sent, ref)
        snapshots.append(adapter.fetch(sent.remote_id))
    reported = driver.reported_events(sent.remote_id)

    seen = Progress(envelope)
    for snapshot in (snapshots[-1], snapshots[0], snapshots[1], snapshots[2], snapshots[-1], snapshots[1]):
        snapshot_apply(envelope, snapshot)
        seen.check()
    remote_events_apply(provider=driver.provider_id, events=[*reversed(reported), *reported])
    seen.check()

    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.COMPLETED
    assert {p.status for p in envelope.participants.all()} == {"signed"}
    events = EnvelopeEvent.objects.filter(envelope=envelope)
    for person in envelope.participants.all():
        assert events.filter(kind="participant.signed", participant=person).count() == 1
    assert events.filter(kind="envelope.completed").count() == 1
    remote_ids = list(events.exclude(remote_event_id=None).values_list("remote_event_id", flat=True))
    assert len(remote_ids) == len(set(remote_ids))


class Progress:
    """Remembers the furthest status each participant and the envelope reached, and fails if one goes back."""

    def __init__(self, envelope: Envelope):
        self.envelope = envelope
        self.best: dict[str, int] = {}

    def check(self) -> None:
        self.envelope.refresh_from_db()
        ranks = {f"participant {p.pk}": PARTICIPANT_RANK[p.status] for p in self.envelope.participants.all()}
        ranks["envelope"] = ENVELOPE_RANK[self.envelope.status]
        for who, rank in ranks.items():
            assert rank >= self.best.get(who, rank), f"{who} moved back"
            self.best[who] = rank


# --- Changing what was sent -----------------------------------------------------------------------


def test_a_reminder_cooldown_postpones_and_never_loses_anyone(driver):
    needs(driver, Capability.REMINDERS_API)
    sent = send(driver)
    adapter = driver.connect()
    for _ in range(MAX_REMINDERS):
        result = adapter.remind(sent.remote_id, sent.refs, sent.remote.participant_ids)
        told = set(result.reminded) | set(result.not_reminded)
        assert told == set(sent.refs), "someone was neither reminded nor told why"
        assert not set(result.reminded) & set(result.not_reminded)
        if result.not_reminded:
            break
    assert result.not_reminded, f"{driver.name} sent {MAX_REMINDERS} reminders in a row without a cooldown"
    assert all(reason.strip() for reason in result.not_reminded.values())
    assert result.next_possible_at is not None and result.next_possible_at > timezone.now()


def test_void_ends_the_remote_envelope(driver):
    needs(driver, Capability.VOID)
    sent = send(driver)
    driver.connect().void(sent.remote_id, "Sent to the wrong customer.")
    assert driver.connect().fetch(sent.remote_id).status == "voided"


def test_void_of_a_completed_envelope_is_refused_for_good(driver):
    needs(driver, Capability.VOID)
    sent = send(driver)
    sign_all(driver, sent)
    with pytest.raises(ProviderError) as refused:
        driver.connect().void(sent.remote_id, "Too late.")
    assert refused.value.permanent
    assert driver.connect().fetch(sent.remote_id).status == "completed"


def test_a_contact_change_reaches_the_provider(driver):
    needs(driver, Capability.UPDATE_PARTICIPANT)
    sent = send(driver)
    person = sent.request.participants[0]
    changed = dataclasses.replace(
        person, email="new.address@example.org", remote_id=sent.remote.participant_ids[person.ref]
    )
    new_id = driver.connect().update_participant(sent.remote_id, changed)
    assert isinstance(new_id, str) and new_id
    assert driver.knows_contact(sent.remote_id, "new.address@example.org")
    assert not driver.knows_contact(sent.remote_id, person.email)
    snapshot = driver.connect().fetch(sent.remote_id)
    assert len(snapshot.participants) == len(sent.refs)
    assert any(p.ref == person.ref or p.remote_id == new_id for p in snapshot.participants)


def test_the_signed_pdf_downloads_without_lending_our_token_to_a_redirect(driver):
    needs(driver, Capability.SIGNED_DOWNLOAD)
    sent = send(driver)
    sign_all(driver, sent)
    files = driver.connect().download_signed(sent.remote_id)
    assert files and files[0].content.startswith(b"%PDF") and files[0].name.endswith(".pdf")
    if driver.supports(HTTP):
        for headers in driver.requests_outside_api():
            assert "authorization" not in {name.lower() for name in headers}


def test_remote_delete_forgets_the_envelope_and_may_be_repeated(driver):
    needs(driver, Capability.REMOTE_DELETE)
    sent = send(driver)
    if driver.supports(Capability.VOID):
        driver.connect().void(sent.remote_id, "Not needed.")  # some providers delete only finished envelopes
    else:
        sign_all(driver, sent)
    driver.connect().delete_remote(sent.remote_id)
    assert not driver.holds(sent.remote_id)
    driver.connect().delete_remote(sent.remote_id)  # already gone: no error


# --- Webhooks -------------------------------------------------------------------------------------


def post_webhook(driver, body: bytes, headers: dict[str, str]):
    extra = {name: value for name, value in headers.items() if name.lower() != "content-type"}
    url = webhook_url_for(driver.connection)
    return Client().post(url, data=body, content_type="application/json", headers=extra)


def test_a_genuine_webhook_is_stored_once_even_when_replayed(driver):
    needs(driver, Capability.WEBHOOKS)
    sent = send(driver)
    body, headers = driver.webhook("genuine", sent)
    event_ids = [event.event_id for event in driver.connect().webhook_events(body)]
    first, replay = post_webhook(driver, body, headers), post_webhook(driver, body, headers)
    assert first.status_code == 200 and replay.status_code == 200
    assert json.loads(replay.content)["new"] == 0
    stored = WebhookDelivery.objects.filter(connection=driver.connection, event_id__in=event_ids)
    assert stored.count() == len(event_ids)


@pytest.mark.parametrize("kind", ["forged", "stale"])
def test_a_forged_or_stale_webhook_is_refused_and_nothing_stored(driver, kind):
    needs(driver, Capability.WEBHOOKS)
    sent = send(driver)
    body, headers = driver.webhook(kind, sent)
    response = post_webhook(driver, body, headers)
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


# --- Errors ---------------------------------------------------------------------------------------


def test_a_refused_token_is_renewed_once_then_the_connection_needs_reconnecting(driver):
    needs(driver, ACCOUNT)
    needs(driver, HTTP)
    sent = send(driver)
    before = driver.refreshes()
    driver.inject("401", sent.remote_id)
    with pytest.raises(AuthExpired):
        driver.connect().fetch(sent.remote_id)
    assert driver.refreshes() == before + 1
    assert ProviderConnection.objects.get(pk=driver.connection.pk).status == ConnectionStatus.NEEDS_RECONNECT


def test_an_expired_token_is_renewed_and_the_call_answered(driver):
    needs(driver, ACCOUNT)
    needs(driver, HTTP)
    sent = send(driver)
    before = driver.refreshes()
    driver.inject("401_once", sent.remote_id)
    assert driver.connect().fetch(sent.remote_id).status == "sent"
    assert driver.refreshes() == before + 1
    assert ProviderConnection.objects.get(pk=driver.connection.pk).status == ConnectionStatus.CONNECTED


# What each kind of call needs declared, and how it is made.
OPERATIONS = {
    "fetch": (None, lambda adapter, sent: adapter.fetch(sent.remote_id)),
    "remind": (
        Capability.REMINDERS_API,
        lambda adapter, sent: adapter.remind(sent.remote_id, sent.refs, sent.remote.participant_ids),
    ),
    "void": (Capability.VOID, lambda adapter, sent: adapter.void(sent.remote_id, "No longer needed.")),
}


def failing_call(driver, operation: str, fault: str) -> ProviderError:
    """The ProviderError `operation` raises on a sent envelope once the provider answers with `fault`."""
    need, call = OPERATIONS[operation]
    if need:
        needs(driver, need)
    sent = send(driver)
    driver.inject(fault, sent.remote_id)
    with pytest.raises(ProviderError) as raised:
        call(driver.connect(), sent)
    assert raised.value.message
    return raised.value


@pytest.mark.parametrize("operation", OPERATIONS)
def test_an_envelope_the_provider_does_not_know_is_a_permanent_error(driver, operation):
    assert failing_call(driver, operation, "404").permanent


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_rate_limit_says_when_to_try_again(driver, operation):
    needs(driver, HTTP)
    error = failing_call(driver, operation, "429")
    assert error.retry_after == 120
    assert not error.permanent


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("fault", ["5xx", "timeout"])
def test_server_errors_and_timeouts_are_transient(driver, fault, operation):
    needs(driver, HTTP)
    assert not failing_call(driver, operation, fault).permanent


@pytest.mark.parametrize("fault", ["missing_field", "not_json"])
def test_an_unreadable_answer_says_paraph_could_not_read_it(driver, fault):
    needs(driver, HTTP)
    sent = send(driver)
    driver.inject(fault, sent.remote_id)
    with pytest.raises(UnreadableAnswer) as raised:
        driver.connect().fetch(sent.remote_id)
    assert raised.value.message.startswith(f"Paraph could not read {driver.name}'s answer")
