"""EasyInk end to end through the portal: connect with PKCE, send a sequential envelope with two
documents and an attachment, let the fake's participants sign, poll to completed, keep the PDF."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from envelopes.incoming.polling import envelopes_sync_due
from envelopes.models import Envelope, EnvelopeStatus
from envelopes.services import envelope_send
from providers.easyink.provider import token_claims
from providers.models import ConnectionStatus
from tests.providers.easyink.conftest import PEOPLE


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


def poll(envelope) -> None:
    """The poller's next round, with the envelope due now."""
    Envelope.objects.filter(pk=envelope.pk).update(next_sync_at=timezone.now() - timedelta(seconds=1))
    envelopes_sync_due()
    envelope.refresh_from_db()


def send(envelope, user, capture):
    with capture(execute=True):
        envelope_send(envelope=envelope, actor=user)
    envelope.refresh_from_db()
    return envelope


def test_connecting_uses_pkce_and_reads_the_account(fake_easyink, connect_easyink):
    connection, _client, _admin = connect_easyink()
    assert connection.status == ConnectionStatus.CONNECTED
    assert connection.account_id == fake_easyink.user_id
    assert connection.account_name == "Erin Sender"
    assert connection.expires_at is not None and connection.expires_at > timezone.now()
    assert connection.expiry_is_final  # no refresh token: the card shows when access ends
    token_call = fake_easyink.requests_to("POST", "/connect/token")[0]
    assert b"code_verifier=" in token_call.body


def test_without_expires_in_the_connection_ends_at_the_tokens_exp(fake_easyink, connect_easyink):
    fake_easyink.answer_expires_in = False
    connection, _client, _admin = connect_easyink()
    exp = token_claims(connection.credentials["access_token"])["exp"]
    assert connection.expires_at == datetime.fromtimestamp(exp, tz=UTC)
    assert connection.expiry_is_final


def test_three_people_one_by_one_sign_and_the_all_in_one_pdf_is_kept(
    fake_easyink, connect_easyink, easyink_envelope, django_capture_on_commit_callbacks
):
    connection, _client, admin = connect_easyink()
    envelope = easyink_envelope(connection, admin.user, people=PEOPLE, documents=2, attachments=1, in_order=True)
    send(envelope, admin.user, django_capture_on_commit_callbacks)
    assert envelope.status == EnvelopeStatus.SENT, envelope.last_error
    (session,) = fake_easyink.live_sessions()
    assert session["id"] == envelope.remote_id
    assert len(session["documents"]) == 2 and len(session["attachments"]) == 1
    assert len(session["participants"]) == 3 and len(session["fields"]) == 6
    assert session["order"]["type"] == "OneByOne"
    people = list(envelope.participants.order_by("order"))
    assert session["order"]["participantsOrder"] == [p.remote_id for p in people]
    ada = next(p for p in session["participants"] if p["email"] == "ada@example.com")
    assert (ada["firstName"], ada["middleName"], ada["lastName"]) == ("Ada", "Byron", "Lovelace")

    for person in people:
        fake_easyink.sign(envelope.remote_id, person.remote_id)
        poll(envelope)
    assert envelope.status == EnvelopeStatus.COMPLETED
    assert {p.status for p in envelope.participants.all()} == {"signed"}
    content = envelope.signed_file.read()
    assert content.startswith(b"%PDF")
    assert envelope.signed_sha256 == hashlib.sha256(content).hexdigest()
