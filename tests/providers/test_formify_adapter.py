"""The Formify adapter's contract, call by call, against the fake: what is sent, what comes back,
and the sentences a user reads when Formify says no."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from envelopes.composing.participants import participant_add, participant_change_contact
from envelopes.models import SignatureField
from envelopes.outgoing.sending import provider_for, send_problems
from envelopes.services import envelope_create, envelope_remind, envelope_send, envelope_void
from envelopes.tasks import send_envelope


def _draft(formify, title: str):
    return envelope_create(
        org=formify.org, actor=formify.admin.user, title=title, provider="formify", connection=formify.connection
    )


def _bodies(fake, method: str, path: str) -> list:
    return [json.loads(r.body) for r in fake.requests if r.method == method and r.path == path]


def test_several_documents_are_merged_in_order_before_the_request_is_made(formify, make_document):
    fake = formify.fake
    three = _draft(formify, "Pack")
    for pages in (1, 2, 3):
        make_document(three, pages=pages)
    participant_add(envelope=three, name="Ada", email="ada@example.com")
    envelope_send(envelope=three, actor=formify.admin.user)
    assert send_envelope(three.pk) == "sent"
    uploads = [r for r in fake.requests if r.method == "POST" and r.path == "/v1/files"]
    assert len(uploads) == 3
    (merge,) = _bodies(fake, "POST", "/v1/files/merge")
    assert len(merge["fileIds"]) == 3 and merge["name"] == "Pack"
    (create,) = _bodies(fake, "POST", "/v1/docs")
    assert create["fileId"] not in merge["fileIds"]
    assert create["fileId"] in fake.files


def test_more_than_eight_documents_are_refused_before_any_call(formify, make_document):
    envelope = _draft(formify, "Big")
    for _ in range(9):
        make_document(envelope)
    participant_add(envelope=envelope, name="Ada", email="ada@example.com")
    calls_before = len(formify.fake.requests)
    assert "Formify takes at most 8 document(s) per envelope." in send_problems(envelope)
    assert len(formify.fake.requests) == calls_before


def test_a_placed_signature_box_becomes_formifys_signature_box(
    formify, make_document, django_capture_on_commit_callbacks
):
    envelope = _draft(formify, "Placed")
    document = make_document(envelope, pages=2)
    ada = participant_add(
        envelope=envelope, name="Ada", email="ada@example.com", delivery="email_sms", phone="+46701234567"
    )
    # Page 2 of an A4 document (595×842 pt), 100 pt from the left, 120 pt from the bottom, 219 pt wide.
    SignatureField.objects.create(document=document, participant=ada, page=2, x=100, y=120, width=219, height=58)
    with django_capture_on_commit_callbacks(execute=True):
        envelope_send(envelope=envelope, actor=formify.admin.user)
    (body,) = _bodies(formify.fake, "POST", "/v1/docs")
    (signee,) = body["signeeDetails"]
    assert signee["signaturePlacement"] == "existing"
    height = 842
    assert signee["signatureBox"] == {"x": 100, "y": height - 120 - 58, "page": 1, "scale": 1.0}
    assert signee["phoneNumber"] == "+46701234567" and signee["phoneNumberDeliveryMethod"] == "sms"
    assert signee["emailAddress"] == "ada@example.com"


@pytest.mark.parametrize(
    "width,x,expected",
    [
        (40, 100, "Formify needs signature boxes 55–328 points wide; resize the one for Ada."),
        (400, 100, "Formify needs signature boxes 55–328 points wide; resize the one for Ada."),
        (219, 500, "The signature box for Ada reaches outside the page; move it inside."),
    ],
)
def test_a_signature_box_formify_would_refuse_is_named_before_sending(formify, make_document, width, x, expected):
    envelope = _draft(formify, "Placed")
    document = make_document(envelope)
    ada = participant_add(envelope=envelope, name="Ada", email="ada@example.com")
    SignatureField.objects.create(document=document, participant=ada, page=1, x=x, y=100, width=width, height=58)
    assert expected in send_problems(envelope)


def test_formify_languages_and_authentication_are_checked_before_sending(formify, make_document):
    envelope = _draft(formify, "L")
    envelope.language = "de"
    envelope.save()
    make_document(envelope)
    participant_add(envelope=envelope, name="Ada", email="ada@example.com", auth_view="email_otp")
    problems = send_problems(envelope)
    assert "Formify does not offer E-mail code authentication (Ada)." in problems


def test_remind_reports_who_was_not_reminded_and_when_it_is_possible_again(formify, formify_envelope):
    envelope = formify_envelope()
    envelope_remind(envelope=envelope, actor=formify.admin.user)
    envelope_remind(envelope=envelope, actor=formify.admin.user)
    outcome = envelope_remind(envelope=envelope, actor=formify.admin.user)
    assert outcome.reminded == []
    assert set(outcome.not_reminded) == {"Ada Signer", "Ben Signer"}
    reason = outcome.not_reminded["Ada Signer"]
    assert "Next reminder possible in" in reason and "minute" in reason
    assert outcome.next_possible_at is not None
    assert list(envelope.participants.values_list("reminders_sent", flat=True)) == [2, 2]


def test_void_revokes_the_document_at_formify(formify, formify_envelope):
    envelope = formify_envelope()
    envelope_void(envelope=envelope, actor=formify.admin.user, reason="Wrong customer")
    assert formify.fake.documents[envelope.remote_id]["status"] == "revoked"
    envelope.refresh_from_db()
    assert envelope.status == "voided"


def test_changing_a_signers_email_gives_a_new_signee_id_and_shows_the_cooldown(formify, formify_envelope):
    envelope = formify_envelope()
    ada = envelope.participants.get(email="ada@example.com")
    old = ada.remote_id
    participant_change_contact(participant=ada, email="ada@new.example", phone="", actor=formify.admin.user)
    ada.refresh_from_db()
    assert ada.remote_id != old
    assert formify.fake.signee_id(envelope.remote_id, "ada@new.example") == ada.remote_id
    participant_change_contact(participant=ada, email="ada@third.example", phone="", actor=formify.admin.user)
    ada.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        participant_change_contact(participant=ada, email="ada@fourth.example", phone="", actor=formify.admin.user)
    assert "The next change is possible in" in refused.value.messages[0]


def test_delete_remote_deletes_the_completed_document(formify, formify_envelope):
    envelope = formify_envelope(people=(("Ada Signer", "ada@example.com"),))
    formify.fake.sign(envelope.remote_id, envelope.participants.get().remote_id)
    provider_for(envelope).delete_remote(envelope.remote_id)
    assert formify.fake.documents[envelope.remote_id]["status"] == "deleted"
    provider_for(envelope).delete_remote(envelope.remote_id)  # already gone: no error
