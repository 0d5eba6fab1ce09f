"""Sending to EasyInk step by step: a crash after any step resumes into one session with each
document, participant and field once; processing that outlasts the wait; bad input refused before
anything is sent; EasyInk's refusals in words."""

from __future__ import annotations

import dataclasses

import pytest

from envelopes.outgoing.sending import send_request_for
from providers import http
from providers.base import Checkpoint, ProviderError
from providers.easyink.provider import EasyInkProvider
from tests.providers.easyink.conftest import PEOPLE


class WorkerDied(BaseException):
    """The worker ends mid-send (not an Exception: nothing in a send path may catch it)."""


@pytest.fixture
def easyink(fake_easyink, connect_easyink, easyink_envelope, monkeypatch):
    monkeypatch.setattr(http, "BACKOFF", 0.01)
    connection, _client, admin = connect_easyink()

    def compose(**options):
        options.setdefault("people", PEOPLE)
        options.setdefault("documents", 2)
        options.setdefault("attachments", 1)
        options.setdefault("in_order", True)
        return send_request_for(easyink_envelope(connection, admin.user, **options))

    adapter = EasyInkProvider(connection, sleep=lambda seconds: None)
    return fake_easyink, adapter, compose


def records(fake) -> list[tuple[int, int, int, int, int]]:
    """(documents, attachments, participants, fields, started) of each live session."""
    return [
        (len(s["documents"]), len(s["attachments"]), len(s["participants"]), len(s["fields"]),
         s["status"] == "Pending")
        for s in fake.live_sessions()
    ]


def dying_at(step: int, dies: str, saved: dict):
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


@pytest.mark.parametrize("dies", ["after saving", "before saving"])
def test_a_crash_after_each_step_resumes_into_one_session_with_everything_once(easyink, dies):
    fake, adapter, compose = easyink
    steps: list[dict] = []
    adapter.send(compose(), Checkpoint(persist=steps.append))
    assert records(fake) == [(2, 1, 3, 6, True)]
    for step in range(len(steps)):
        for session in fake.live_sessions():
            session["deleted"] = True  # each round starts from an empty account
        request = compose()
        saved: dict = {}
        with pytest.raises(WorkerDied):
            adapter.send(request, Checkpoint(persist=dying_at(step, dies, saved)))
        remote = adapter.send(request, Checkpoint(data=dict(saved), persist=saved.update))
        where = f"killed {dies} step {step + 1} of {len(steps)} ({', '.join(steps[step])})"
        assert records(fake) == [(2, 1, 3, 6, True)], where
        assert remote.remote_id == fake.live_sessions()[0]["id"], where
        assert set(remote.participant_ids) == {p.ref for p in request.participants}, where


@pytest.mark.parametrize("call", ["signingSessionDrafts$", "documents$", "attachments$", "participants$",
                                  "signatureFields$", "oneByOne$", "parameters$", "readyToStart$", "started$"])
def test_a_server_error_at_any_step_is_transient_and_the_retry_makes_nothing_twice(easyink, call):
    fake, adapter, compose = easyink
    request, checkpoint = compose(), Checkpoint()
    # PUTs are retried in place by the HTTP layer; a POST is not (it could make a second item).
    method = "PUT" if call in ("oneByOne$", "parameters$") else "POST"
    fake.fail_next(method, call, status=500, times=http.ATTEMPTS if method == "PUT" else 1)
    with pytest.raises(ProviderError) as failed:
        adapter.send(request, checkpoint)
    assert not failed.value.permanent
    adapter.send(request, checkpoint)
    assert records(fake) == [(2, 1, 3, 6, True)]


def test_processing_longer_than_the_wait_hands_the_send_back_and_it_resumes(easyink):
    fake, adapter, compose = easyink
    fake.processing_delay = 600
    request, checkpoint = compose(), Checkpoint()
    with pytest.raises(ProviderError) as waiting:
        adapter.send(request, checkpoint)
    assert not waiting.value.permanent and waiting.value.retry_after
    assert "still processing" in waiting.value.message
    fake.advance(601)
    adapter.send(request, checkpoint)
    assert records(fake) == [(2, 1, 3, 6, True)]


def test_a_processing_answer_from_easyink_is_a_wait_not_a_failure(easyink):
    fake, adapter, compose = easyink
    request, checkpoint = compose(), Checkpoint()
    fake.fail_next("POST", "signatureFields$", status=400,
                   body={"error": {"code": "ValidationError",
                                   "message": "Document processing is in progress. Try again later."}})
    with pytest.raises(ProviderError) as waiting:
        adapter.send(request, checkpoint)
    assert not waiting.value.permanent
    adapter.send(request, checkpoint)
    assert records(fake) == [(2, 1, 3, 6, True)]


def test_a_refusal_for_good_deletes_the_draft_and_says_why(easyink):
    fake, adapter, compose = easyink
    request, checkpoint = compose(), Checkpoint()
    fake.fail_next("POST", "participants$", status=400, body={"error": {
        "code": "ValidationError", "message": "Validation failed for one or more fields",
        "innerErrors": [{"code": "InvalidFormat", "message": "The 'phone' field must be a 10-digit phone number"}]}})
    with pytest.raises(ProviderError) as refused:
        adapter.send(request, checkpoint)
    assert refused.value.permanent
    assert "10-digit phone number" in refused.value.message
    assert fake.live_sessions() == []  # the half-built draft is gone
    adapter.send(request, checkpoint)  # a later send starts afresh
    assert records(fake) == [(2, 1, 3, 6, True)]


@pytest.mark.parametrize(
    "change, says",
    [
        # Paraph's titles stop at 200 characters; a longer one (from an import, say) is still caught.
        ({"title": "x" * 501}, "at most 500 characters"),
        ({"name": "Cher"}, "first and a last name"),
    ],
)
def test_bad_input_is_refused_before_any_call(easyink, change, says):
    fake, adapter, compose = easyink
    request = compose(people=PEOPLE[:1])
    if "name" in change:
        change = {"participants": (dataclasses.replace(request.participants[0], **change),)}
    request = dataclasses.replace(request, **change)
    assert any(says in problem for problem in EasyInkProvider.request_problems(request))
    before = len(fake.requests)
    with pytest.raises(ProviderError) as refused:
        adapter.send(request, Checkpoint())
    assert refused.value.permanent and says in refused.value.message
    assert len(fake.requests) == before


def test_a_participant_without_e_mail_or_phone_is_refused(easyink):
    _fake, _adapter, compose = easyink
    request = compose(people=PEOPLE[:1])
    person = dataclasses.replace(request.participants[0], email="", phone="")
    problems = EasyInkProvider.request_problems(dataclasses.replace(request, participants=(person,)))
    assert any("e-mail address or a phone number" in problem for problem in problems)


def test_a_phone_easyink_cannot_take_and_a_box_outside_the_page_are_refused(easyink):
    _fake, _adapter, compose = easyink
    request = compose(people=PEOPLE[:1])
    person = request.participants[0]
    bad_phone = person.__class__(**{**person.__dict__, "phone": "+46 70 123 45 67", "delivery": "sms"})
    box = person.fields[0]
    outside = box.__class__(**{**box.__dict__, "x": 500})
    off_page = person.__class__(**{**person.__dict__, "fields": (outside,)})
    problems = EasyInkProvider.request_problems(request.__class__(**{**request.__dict__, "participants": (bad_phone,)}))
    assert any("10-digit phone numbers" in p for p in problems)
    problems = EasyInkProvider.request_problems(request.__class__(**{**request.__dict__, "participants": (off_page,)}))
    assert any("reaches outside page 2" in p for p in problems)


def test_phone_numbers_and_names_in_easyinks_format(easyink):
    fake, adapter, compose = easyink
    request = compose(people=PEOPLE[:1], documents=1, attachments=0, in_order=False)
    person = request.participants[0]
    texted = person.__class__(**{**person.__dict__, "phone": "+1 (202) 555-1234", "delivery": "email_sms"})
    adapter.send(request.__class__(**{**request.__dict__, "participants": (texted,)}), Checkpoint())
    (session,) = fake.live_sessions()
    (participant,) = session["participants"]
    assert participant["phone"] == "2025551234"
    assert participant["deliveryMethods"] == ["Email", "Sms"]
    assert session["order"]["type"] == "AllAtOnce"
    assert session["reminderFrequency"] == "Daily"  # our default policy: every 3 days


def test_a_send_given_up_after_transient_failures_deletes_its_draft(
    fake_easyink, connect_easyink, easyink_envelope, monkeypatch, django_capture_on_commit_callbacks
):
    from envelopes.models import Envelope, EnvelopeStatus
    from envelopes.outgoing import sending
    from envelopes.services import envelope_send

    monkeypatch.setattr(sending, "SEND_ATTEMPTS", 1)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    connection, _client, admin = connect_easyink()
    envelope = easyink_envelope(connection, admin.user, people=PEOPLE[:2])
    fake_easyink.fail_next("POST", "participants$", status=503)
    with django_capture_on_commit_callbacks(execute=True):
        envelope_send(envelope=envelope, actor=admin.user)
    envelope = Envelope.objects.get(pk=envelope.pk)
    assert envelope.status == EnvelopeStatus.FAILED
    assert fake_easyink.live_sessions() == []
    assert list(envelope.remote_state["checkpoint"]) == ["abandoned"]
