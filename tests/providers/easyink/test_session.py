"""An EasyInk session after it is sent: tokens that end at their exp, polling through processing
and unknown statuses, void, recreate, contact changes and the signed PDFs."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from envelopes.incoming.polling import envelopes_sync_due
from envelopes.models import Envelope, EnvelopeStatus
from envelopes.outgoing.sending import send_request_for
from envelopes.services import envelope_send
from providers.base import AuthExpired, Checkpoint, ProviderError
from providers.easyink.provider import EasyInkProvider
from providers.models import ConnectionStatus, ProviderConnection
from tests.providers.conftest import path_of
from tests.providers.easyink.conftest import PEOPLE


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


@pytest.fixture
def sent(fake_easyink, connect_easyink, easyink_envelope, django_capture_on_commit_callbacks):
    """An envelope sent to two people at once through a connected account: (envelope, admin client)."""
    connection, client, admin = connect_easyink()
    envelope = easyink_envelope(connection, admin.user, people=PEOPLE[:2])
    with django_capture_on_commit_callbacks(execute=True):
        envelope_send(envelope=envelope, actor=admin.user)
    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.SENT, envelope.last_error
    return envelope, client


def poll(envelope) -> None:
    Envelope.objects.filter(pk=envelope.pk).update(next_sync_at=timezone.now() - timedelta(seconds=1))
    envelopes_sync_due()
    envelope.refresh_from_db()


def adapter_for(envelope) -> EasyInkProvider:
    return EasyInkProvider(ProviderConnection.objects.get(pk=envelope.connection_id))


def test_a_token_past_its_exp_needs_reconnecting_and_reconnect_repairs_the_same_connection(fake_easyink, sent):
    envelope, client = sent
    fake_easyink.expire_tokens()
    poll(envelope)
    connection = ProviderConnection.objects.get(pk=envelope.connection_id)
    assert connection.status == ConnectionStatus.NEEDS_RECONNECT
    assert envelope.status == EnvelopeStatus.SENT  # nothing lost
    assert not fake_easyink.requests_to("POST", "/connect/token")[1:]  # no refresh token to try
    response = client.post(reverse("connection_connect", args=["easyink"]),
                           {"label": "ignored", "reconnect": connection.pk})
    client.get(path_of(fake_easyink.consent(response["Location"])), follow=True)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CONNECTED
    assert ProviderConnection.objects.filter(provider="easyink").count() == 1
    for person in envelope.participants.all():
        fake_easyink.sign(envelope.remote_id, person.remote_id)
    poll(envelope)
    assert envelope.status == EnvelopeStatus.COMPLETED


def test_a_token_answer_with_a_refresh_token_is_renewed_with_it(fake_easyink, connect_easyink):
    fake_easyink.issue_refresh_tokens = True
    connection, _client, _admin = connect_easyink()
    assert not connection.expiry_is_final
    fake_easyink.expire_tokens()
    EasyInkProvider(connection).statistics()  # a 401, a refresh, the call again
    assert ProviderConnection.objects.get(pk=connection.pk).status == ConnectionStatus.CONNECTED


def test_an_expired_token_during_a_send_keeps_the_draft_for_after_reconnecting(
    fake_easyink, connect_easyink, easyink_envelope
):
    connection, _client, admin = connect_easyink()
    request = send_request_for(easyink_envelope(connection, admin.user, people=PEOPLE[:2]))
    checkpoint = Checkpoint()
    fake_easyink.fail_next("POST", "participants$", status=401, times=2)
    with pytest.raises(AuthExpired):
        EasyInkProvider(connection).send(request, checkpoint)
    assert checkpoint.done("draft") and len(fake_easyink.live_sessions()) == 1


def test_signed_pdfs_wait_for_processing_so_completed_never_shows_without_them(fake_easyink, sent):
    envelope, _client = sent
    fake_easyink.signed_processing_delay = 120  # longer than one poll
    for person in envelope.participants.all():
        fake_easyink.sign(envelope.remote_id, person.remote_id)
    poll(envelope)
    assert envelope.status == EnvelopeStatus.SENT
    assert {p.status for p in envelope.participants.all()} == {"signed"}
    with pytest.raises(ProviderError) as waiting:
        adapter_for(envelope).download_signed(envelope.remote_id)
    assert not waiting.value.permanent
    fake_easyink.advance(121)
    poll(envelope)
    assert envelope.status == EnvelopeStatus.COMPLETED
    files = adapter_for(envelope).download_signed(envelope.remote_id)
    assert [f.name.endswith(".pdf") and f.content.startswith(b"%PDF") for f in files] == [True] * 3
    assert files[0].name.endswith("all-in-one.pdf")
    assert envelope.signed_file.read() == files[0].content


def test_a_status_easyink_adds_later_is_logged_and_changes_nothing(fake_easyink, sent, caplog):
    envelope, _client = sent
    fake_easyink.set_status(envelope.remote_id, "UnderReview")
    poll(envelope)
    assert envelope.status == EnvelopeStatus.SENT
    assert "UnderReview" in caplog.text


@pytest.mark.parametrize("status, ours", [("Declined", "declined"), ("Voided", "voided"), ("Expired", "expired")])
def test_statuses_map(fake_easyink, sent, status, ours):
    envelope, _client = sent
    fake_easyink.set_status(envelope.remote_id, status)
    assert adapter_for(envelope).fetch(envelope.remote_id).status == ours


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_void_reasons_outside_1_to_1000_characters_are_refused_before_the_call(fake_easyink, sent, reason):
    envelope, _client = sent
    before = len(fake_easyink.requests)
    with pytest.raises(ProviderError) as refused:
        adapter_for(envelope).void(envelope.remote_id, reason)
    assert refused.value.permanent and "1 to 1000 characters" in refused.value.message
    assert len(fake_easyink.requests) == before


def test_voiding_a_finished_session_shows_easyinks_message(fake_easyink, sent):
    envelope, _client = sent
    for person in envelope.participants.all():
        fake_easyink.sign(envelope.remote_id, person.remote_id)
    with pytest.raises(ProviderError) as refused:
        adapter_for(envelope).void(envelope.remote_id, "Too late")
    assert refused.value.permanent
    assert "Signing session in status Finished cannot be voided" in refused.value.message


def test_recreate_copies_the_session_and_voids_the_original(fake_easyink, sent):
    envelope, _client = sent
    new_id = adapter_for(envelope).recreate(envelope.remote_id, "Wrong salary")
    assert fake_easyink.sessions[envelope.remote_id]["status"] == "Voided"
    copy = fake_easyink.sessions[new_id]
    assert copy["status"] == "Draft" and copy["recreatedFrom"] == envelope.remote_id
    assert len(copy["participants"]) == 2 and len(copy["fields"]) == 2


def test_a_contact_change_is_refused_with_easyinks_reason_once_the_link_was_used(fake_easyink, sent):
    envelope, _client = sent
    first, second = envelope.participants.order_by("pk")
    request = send_request_for(envelope)
    spec = {p.ref: p for p in request.participants}
    adapter = adapter_for(envelope)
    moved = dataclasses.replace(spec[str(first.pk)], email="ada@new.example", remote_id=first.remote_id)
    assert adapter.update_participant(envelope.remote_id, moved) == first.remote_id
    assert fake_easyink.participant_id(envelope.remote_id, "ada@new.example") == first.remote_id
    fake_easyink.open(envelope.remote_id, second.remote_id)
    late = dataclasses.replace(spec[str(second.pk)], email="ben@new.example", remote_id=second.remote_id)
    with pytest.raises(ProviderError) as refused:
        adapter.update_participant(envelope.remote_id, late)
    assert "already used the signing link" in refused.value.message


def test_the_statistics_are_read(fake_easyink, sent):
    envelope, _client = sent
    assert adapter_for(envelope).statistics() == {
        "sessionsToSignCount": 0, "draftsCount": 0, "readyToStartCount": 0, "inProgressCount": 1,
        "needsActionCount": 0,
    }


def test_a_draft_is_deleted_and_a_started_session_is_refused_in_words(fake_easyink, sent):
    envelope, _client = sent
    with pytest.raises(ProviderError) as refused:
        adapter_for(envelope).delete_remote(envelope.remote_id)
    assert "locked and cannot be removed" in refused.value.message
    assert not fake_easyink.sessions[envelope.remote_id]["deleted"]


def test_a_path_can_be_corrected_by_setting(fake_easyink, sent, settings):
    envelope, _client = sent
    settings.EASYINK_PATHS = "statistics=/api/somewhere/else"
    with pytest.raises(ProviderError):
        adapter_for(envelope).statistics()
    assert fake_easyink.requests_to("GET", "/api/somewhere/else")
    settings.EASYINK_PATHS = "nonsense"
    assert any("EASYINK_PATHS" in problem for problem in EasyInkProvider.settings_problems())  # at start-up
