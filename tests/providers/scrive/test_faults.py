"""The Scrive adapter when things go wrong: refused credentials and privileges, conflicts,
rate limits, outages, timeouts, unreadable answers, and a send interrupted after each step."""

from __future__ import annotations

import pytest

from envelopes.outgoing.sending import send_request_for
from providers.base import AuthExpired, Checkpoint, ProviderError, UnreadableAnswer
from providers.models import ConnectionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(scrive, make_document):
    """An unsent envelope's SendRequest (two signers by e-mail)."""
    from envelopes.composing.participants import participant_add
    from envelopes.services import envelope_create

    envelope = envelope_create(org=scrive.org, actor=scrive.admin.user, title="Lease", provider="scrive",
                               connection=scrive.connection)
    make_document(envelope, pages=1)
    participant_add(envelope=envelope, name="Ada Signer", email="ada@example.com")
    participant_add(envelope=envelope, name="Ben Signer", email="ben@example.com", phone="+46701234567")
    return send_request_for(envelope)


def test_revoked_credentials_mark_the_connection_needs_reconnect(scrive, scrive_adapter, scrive_envelope):
    envelope = scrive_envelope()
    scrive.fake.revoke_tokens()
    with pytest.raises(AuthExpired):
        scrive_adapter.fetch(envelope.remote_id)
    scrive.connection.refresh_from_db()
    assert scrive.connection.status == ConnectionStatus.NEEDS_RECONNECT


def test_a_missing_privilege_is_named(scrive, scrive_adapter, scrive_envelope):
    envelope = scrive_envelope()
    scrive.fake.limit_privileges(scrive.fake.personal["token_key"], {"DOC_CHECK", "DOC_CREATE"})
    with pytest.raises(ProviderError, match="lacks the DOC_SEND privilege") as refused:
        scrive_adapter.remind(envelope.remote_id, [], {})
    assert refused.value.permanent


def test_an_unknown_document_is_a_permanent_404(scrive_adapter):
    with pytest.raises(ProviderError, match="does not know this document") as refused:
        scrive_adapter.fetch("4242")
    assert refused.value.permanent


def test_a_version_conflict_is_re_read_and_retried_once(scrive, scrive_adapter, draft):
    fake = scrive.fake
    original = fake._update

    def changed_meanwhile(incoming, token):
        if not getattr(changed_meanwhile, "done", False):
            changed_meanwhile.done = True
            from tests.fakes.scrive import documents as docs

            docs.touch(fake.documents[incoming.params["document_id"]], fake.now())
        return original(incoming, token)

    fake._update = changed_meanwhile
    fake._routes = None
    remote = scrive_adapter.send(draft, Checkpoint())
    updates = [r for r in fake.requests if r.path.endswith("/update")]
    assert len(updates) == 2  # 409, then the retry with the version re-read
    assert fake.documents[remote.remote_id]["status"] == "pending"


def test_a_second_version_conflict_gives_up_and_trashes_the_draft(scrive, scrive_adapter, draft):
    scrive.fake.fail_next("POST", r"/update$", status=409, times=2, body={
        "error_type": "document_object_version_mismatch", "error_message": "Changed.", "http_code": 409})
    checkpoint = Checkpoint()
    with pytest.raises(ProviderError, match="Changed"):
        scrive_adapter.send(draft, checkpoint)
    assert scrive.fake.document_count(live=True) == 0  # the draft went to Trash
    assert checkpoint.get("document") == ""


def test_a_rate_limit_is_handed_back_with_its_wait(scrive, scrive_adapter, scrive_envelope):
    envelope = scrive_envelope()
    scrive.fake.fail_next("GET", r"/get$", status=429, headers={"Retry-After": "120"}, times=3)
    with pytest.raises(ProviderError) as limited:
        scrive_adapter.fetch(envelope.remote_id)
    assert limited.value.retry_after == 120 and not limited.value.permanent


def test_an_outage_is_transient(scrive, scrive_adapter, scrive_envelope):
    envelope = scrive_envelope()
    scrive.fake.fail_next("GET", r"/get$", status=500, times=3)
    scrive_adapter.http.sleep = lambda seconds: None
    with pytest.raises(ProviderError) as outage:
        scrive_adapter.fetch(envelope.remote_id)
    assert not outage.value.permanent


def test_unreadable_answers_name_what_is_missing(scrive, scrive_adapter, scrive_envelope):
    envelope = scrive_envelope()
    scrive.fake.fail_next("GET", r"/get$", status=200, body={"id": envelope.remote_id, "parties": []})
    with pytest.raises(UnreadableAnswer, match="status"):
        scrive_adapter.fetch(envelope.remote_id)
    scrive.fake.answer_html_next("GET", r"/get$")
    with pytest.raises(UnreadableAnswer, match="not JSON"):
        scrive_adapter.fetch(envelope.remote_id)


@pytest.mark.parametrize("step", ["/new$", "/update$", "/start$"])
def test_a_send_cut_off_after_any_step_resumes_with_one_document(scrive, scrive_adapter, draft, step):
    """The step's call takes effect at Scrive but its answer never arrives (a timeout, as when a
    worker dies); the retry with the saved checkpoint makes no second document and starts once."""
    fake = scrive.fake
    scrive_adapter.http.timeout = (2, 0.3)
    saved = {}
    checkpoint = Checkpoint(persist=saved.update)
    fake.time_out_next("POST", step, seconds=0.8)
    with pytest.raises(ProviderError) as cut:
        scrive_adapter.send(draft, checkpoint)
    assert not cut.value.permanent
    remote = scrive_adapter.send(draft, Checkpoint(data=dict(saved), persist=saved.update))
    live = [d for d in fake.documents.values() if d["status"] == "pending"]
    assert [d["id"] for d in live] == [remote.remote_id]
    assert len(fake.requests_to("POST", f"/api/v2/documents/{remote.remote_id}/start")) == 1 + (step == "/start$")
    assert set(remote.participant_ids) == {p.ref for p in draft.participants}


def test_bad_input_is_refused_before_any_call(scrive, scrive_adapter, draft):
    from dataclasses import replace

    bad = replace(draft, language="pl", participants=(
        replace(draft.participants[0], phone="0701234567", auth_sign="sms_otp"),
        replace(draft.participants[1], auth_view="se_bankid"),
    ))
    problems = scrive_adapter.request_problems(bad)
    assert any("language" in p for p in problems)
    assert any("country code" in p for p in problems)
    assert any("personal number" in p for p in problems)
    before = len(scrive.fake.requests)
    with pytest.raises(ProviderError) as refused:
        scrive_adapter.send(bad, Checkpoint())
    assert refused.value.permanent and len(scrive.fake.requests) == before
