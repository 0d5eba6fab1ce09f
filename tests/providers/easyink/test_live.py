"""EasyInk's staging environment, for real: runs only when its credentials are in the environment.

    EASYINK_LIVE_API_URL=https://api-staging.easyink.io
    EASYINK_LIVE_TOKEN=<an access token from the staging identity provider (it lasts until its exp)>
    EASYINK_LIVE_EMAIL=<an address whose invitation may be sent>

It builds a session with one document, one participant and one field, starts it, reads it back
and voids it: what the fake stands in for, against EasyInk.
"""

from __future__ import annotations

import os

import pytest

from providers.base import Checkpoint, DocumentSpec, FieldSpec, ParticipantSpec, SendRequest
from providers.easyink.provider import EasyInkProvider, token_claims
from providers.models import ProviderConnection
from tests.envelopes.pdfs import make_pdf

NEEDED = ("EASYINK_LIVE_API_URL", "EASYINK_LIVE_TOKEN", "EASYINK_LIVE_EMAIL")
pytestmark = pytest.mark.skipif(
    not all(os.environ.get(name) for name in NEEDED),
    reason=f"EasyInk's sandbox is used only when {', '.join(NEEDED)} are set",
)


@pytest.fixture
def live(db, settings, make_org):
    settings.EASYINK_API_URL = os.environ["EASYINK_LIVE_API_URL"]
    settings.EASYINK_CLIENT_ID = settings.EASYINK_CLIENT_ID or "paraph-live-test"
    connection = ProviderConnection(org=make_org(), provider="easyink", label="EasyInk staging")
    connection.credentials = {"access_token": os.environ["EASYINK_LIVE_TOKEN"]}
    connection.save()
    return EasyInkProvider(connection)


def request_for(tmp_path) -> SendRequest:
    pdf = tmp_path / "paraph-live-test.pdf"
    pdf.write_bytes(make_pdf(1))
    document = DocumentSpec("doc-1", "paraph-live-test.pdf", "sign", "", 1, str(pdf))
    person = ParticipantSpec(ref="p-1", name="Paraph Live Test", email=os.environ["EASYINK_LIVE_EMAIL"], phone="",
                             role="signer", order=1, delivery="email", auth_view="none", auth_sign="none",
                             fields=(FieldSpec("doc-1", 1, 72, 72, 180, 60),))
    return SendRequest(envelope_ref="live", title="Paraph live test", message="", language="en", expires_at=None,
                       documents=(document,), participants=(person,))


def test_the_account_answers(live):
    account = live.account()
    assert account.id == token_claims(os.environ["EASYINK_LIVE_TOKEN"])["sub"]


def test_a_session_is_built_started_read_and_voided(live, tmp_path):
    remote = live.send(request_for(tmp_path), Checkpoint())
    snapshot = live.fetch(remote.remote_id)
    assert snapshot.status == "sent"
    assert {p.remote_id for p in snapshot.participants} == set(remote.participant_ids.values())
    live.void(remote.remote_id, "Paraph live test; no signature needed.")
    assert live.fetch(remote.remote_id).status == "voided"
