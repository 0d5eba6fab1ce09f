"""The Formify adapter reads only what Formify's reference documents, tolerates what it leaves
out, and turns anything else into a sentence naming Formify and the field — never a KeyError."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from envelopes.composing.participants import participant_change_contact
from envelopes.outgoing.sending import provider_for
from envelopes.services import envelope_remind, envelope_void
from providers import http
from providers.base import ProviderError, UnreadableAnswer
from providers.formify.snapshots import parse_time

DOCUMENT = r"/v1/docs/[^/]+$"


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF", 0.01)
    monkeypatch.setattr(http, "TIMEOUT", (2, 0.5))


def test_a_snapshot_carries_the_id_paraph_asked_for(formify, formify_envelope):
    envelope = formify_envelope()
    snapshot = provider_for(envelope).fetch(envelope.remote_id)
    assert snapshot.remote_id == envelope.remote_id
    remote_ids = set(envelope.participants.values_list("remote_id", flat=True))
    assert {p.remote_id for p in snapshot.participants} == remote_ids


def test_a_document_with_only_the_fields_paraph_needs_is_read(formify, formify_envelope):
    envelope = formify_envelope(people=(("Ada Signer", "ada@example.com"),))
    ada = envelope.participants.get().remote_id
    bare = {"status": "awaiting_signatures", "signeeDetails": [{"signeeId": ada, "signatureStatus": "signed"}]}
    formify.fake.fail_next("GET", DOCUMENT, status=200, body=bare)
    snapshot = provider_for(envelope).fetch(envelope.remote_id)
    assert snapshot.status == "sent"
    ((person,),) = [snapshot.participants]
    assert (person.remote_id, person.status, person.occurred_at) == (ada, "signed", None)


@pytest.mark.parametrize(
    "answer,field",
    [
        ({"signeeDetails": []}, "status"),
        ({"status": "completed"}, "signeeDetails"),
        ({"status": "completed", "signeeDetails": [{"signatureStatus": "signed"}]}, "signeeDetails[0].signeeId"),
        ({"status": "completed", "signeeDetails": [{"signeeId": "s", "signingOrder": "first"}]}, "signatureStatus"),
        ({"status": 3, "signeeDetails": []}, "status"),
        (["not", "an", "object"], "expected an object"),
    ],
)
def test_an_answer_without_a_needed_field_is_unreadable_and_names_it(formify, formify_envelope, answer, field):
    envelope = formify_envelope()
    formify.fake.fail_next("GET", DOCUMENT, status=200, body=answer)
    with pytest.raises(UnreadableAnswer) as raised:
        provider_for(envelope).fetch(envelope.remote_id)
    assert raised.value.message.startswith("Paraph could not read Formify's answer:")
    assert field in raised.value.message
    assert not raised.value.permanent


def test_a_status_formify_does_not_document_leaves_the_envelope_alone(formify, formify_envelope):
    envelope = formify_envelope()
    document = formify.fake.documents[envelope.remote_id]
    formify.fake.fail_next("GET", DOCUMENT, status=200, body={"status": "archived", "signeeDetails": []})
    assert provider_for(envelope).fetch(envelope.remote_id).status == ""
    assert document["status"] == "awaiting_signatures"


@pytest.mark.parametrize(
    "written,expected",
    [
        ("2026-11-22T10:00:00Z", datetime(2026, 11, 22, 10, tzinfo=UTC)),
        ("2026-11-22T10:00:00", datetime(2026, 11, 22, 10, tzinfo=UTC)),
        ("2026-11-22 11:00:00+01:00", datetime(2026, 11, 22, 10, tzinfo=UTC)),
        ("1795341600", datetime(2026, 11, 22, 10, tzinfo=UTC)),
        (1795341600000, datetime(2026, 11, 22, 10, tzinfo=UTC)),
        ("yesterday", None),
        ("2026-13-45T99:00:00", None),
        ("", None),
        (True, None),
    ],
)
def test_timestamps_are_read_in_any_form_and_never_crash(written, expected):
    assert parse_time(written) == expected


def test_the_account_needs_an_account_id(formify, formify_adapter):
    adapter = formify_adapter
    assert adapter.account().id == formify.fake.account["accountId"]
    formify.fake.fail_next("GET", r"/v1/user$", status=200, body={"userId": "u", "fullName": "Olivia"})
    with pytest.raises(UnreadableAnswer, match="accountId"):
        adapter.account()


def test_an_account_without_a_name_is_named_for_its_user(formify, formify_adapter):
    adapter = formify_adapter
    formify.fake.fail_next("GET", r"/v1/user$", status=200, body={"accountId": "a", "fullName": "Olivia"})
    account = adapter.account()
    assert (account.id, account.name, account.email) == ("a", "Olivia", "")


# -- void ------------------------------------------------------------------------------------


def test_void_sends_the_body_the_reference_requires(formify, formify_envelope):
    envelope = formify_envelope()
    envelope_void(envelope=envelope, actor=formify.admin.user, reason="Wrong customer")
    (revoke,) = formify.fake.requests_to("PUT", f"/v1/docs/{envelope.remote_id}/revoke")
    assert json.loads(revoke.body) == {"errorLanguage": "en"}
    assert formify.fake.documents[envelope.remote_id]["status"] == "revoked"


def test_a_revoke_retried_after_its_answer_was_lost_counts_as_voided(formify, formify_envelope):
    envelope = formify_envelope()
    # The first revoke takes effect but answers too late; the retry is refused (already revoked).
    formify.fake.time_out_next("PUT", r"/revoke$", seconds=1.0)
    provider_for(envelope).void(envelope.remote_id, "Wrong customer")
    assert len(formify.fake.requests_to("PUT", f"/v1/docs/{envelope.remote_id}/revoke")) == 2
    assert formify.fake.documents[envelope.remote_id]["status"] == "revoked"


def test_voiding_a_document_revoked_in_formify_succeeds(formify, formify_envelope):
    envelope = formify_envelope()
    formify.fake.revoke_by_owner(envelope.remote_id)
    provider_for(envelope).void(envelope.remote_id, "Wrong customer")


def test_voiding_a_completed_document_is_refused_in_formifys_words(formify, formify_envelope):
    envelope = formify_envelope(people=(("Ada Signer", "ada@example.com"),))
    formify.fake.sign(envelope.remote_id, envelope.participants.get().remote_id)
    with pytest.raises(ProviderError) as raised:
        provider_for(envelope).void(envelope.remote_id, "Too late")
    assert raised.value.permanent
    assert "Only a document not yet fully signed can be revoked" in raised.value.message


# -- contact changes -------------------------------------------------------------------------


def _patches(fake, envelope) -> list:
    return [json.loads(r.body) for r in fake.requests_to("PATCH", f"/v1/docs/{envelope.remote_id}/signature-field")]


def test_a_contact_change_sends_only_what_changes(formify, formify_envelope):
    envelope = formify_envelope()
    ada = envelope.participants.get(email="ada@example.com")
    old = ada.remote_id
    participant_change_contact(participant=ada, email="ada@new.example", phone="", actor=formify.admin.user)
    assert _patches(formify.fake, envelope) == [[{"signeeId": old, "emailAddress": "ada@new.example"}]]
    ada.refresh_from_db()
    assert ada.remote_id == formify.fake.signee_id(envelope.remote_id, "ada@new.example") != old


def test_a_contact_change_never_adds_a_contact_method(formify, formify_envelope):
    envelope = formify_envelope()
    ada = envelope.participants.get(email="ada@example.com")
    ada.delivery = "email_sms"
    ada.save()
    with pytest.raises(ValidationError) as refused:
        participant_change_contact(
            participant=ada, email="ada@example.com", phone="+46701234567", actor=formify.admin.user
        )
    assert "Formify cannot add a phone number to a signer invited without one" in refused.value.messages[0]
    assert _patches(formify.fake, envelope) == []


def test_a_contact_change_that_changes_nothing_makes_no_call(formify, formify_envelope):
    envelope = formify_envelope()
    ada = envelope.participants.get(email="ada@example.com")
    participant_change_contact(participant=ada, email="ADA@example.com", phone="", actor=formify.admin.user)
    assert _patches(formify.fake, envelope) == []


def test_a_signee_update_answered_with_the_old_id_still_finds_the_new_one(formify, formify_envelope):
    envelope = formify_envelope()
    ada = envelope.participants.get(email="ada@example.com")
    old = ada.remote_id
    # The reference does not say whether the answer's signeeId is the new one; suppose it is the old.
    answer = {"signeeId": old, "updated": {"emailAddress": "ada@new.example"}, "updateCooldown": 0}
    adapter = provider_for(envelope)
    real_request = adapter.http.request

    def answered(method, path, **kwargs):  # the change happens, but the answer names the old id
        response = real_request(method, path, **kwargs)
        if method == "PATCH":
            response._content = json.dumps(answer).encode()
        return response

    adapter.http.request = answered
    spec = _spec(ada, email="ada@new.example")
    assert adapter.update_participant(envelope.remote_id, spec) == formify.fake.signee_id(
        envelope.remote_id, "ada@new.example"
    )


def _spec(participant, *, email: str):
    from providers.base import ParticipantSpec

    return ParticipantSpec(
        ref=str(participant.pk),
        name=participant.name,
        email=email,
        phone=participant.phone,
        role=participant.role,
        order=participant.order,
        delivery=participant.delivery,
        auth_view=participant.auth_view,
        auth_sign=participant.auth_sign,
        remote_id=participant.remote_id,
    )


# -- reminders, field values, the signed file ------------------------------------------------


def test_reminders_carry_the_error_language_and_read_the_documented_answer(formify, formify_envelope):
    envelope = formify_envelope()
    outcome = envelope_remind(envelope=envelope, actor=formify.admin.user)
    assert sorted(person.name for person in outcome.reminded) == ["Ada Signer", "Ben Signer"]
    (call,) = formify.fake.requests_to("POST", f"/v1/docs/{envelope.remote_id}/reminder")
    assert json.loads(call.body)["errorLanguage"] == "en"


def test_a_reminder_answer_without_signee_ids_is_unreadable(formify, formify_envelope):
    envelope = formify_envelope()
    formify.fake.fail_next("POST", r"/reminder$", status=200, body={"remindersSentTo": [{"reminderCooldown": 0}]})
    people = {str(p.pk): p.remote_id for p in envelope.participants.all()}
    with pytest.raises(UnreadableAnswer, match=r"remindersSentTo\[0\]\.signeeId"):
        provider_for(envelope).remind(envelope.remote_id, list(people), people)


def test_field_values_are_read_as_the_reference_shapes_them(formify, formify_envelope):
    envelope = formify_envelope(people=(("Ada Signer", "ada@example.com"),))
    formify.fake.set_field_values(envelope.remote_id, [{"name": "Colours", "value": ["Red", "Blue"]}])
    formify.fake.sign(envelope.remote_id, envelope.participants.get().remote_id)
    assert provider_for(envelope).field_values(envelope.remote_id) == {"Colours": ["Red", "Blue"]}
    formify.fake.fail_next("GET", r"/field-values$", status=200, body=[{"name": "Colours", "value": "Red"}])
    with pytest.raises(UnreadableAnswer, match=r"value is text, not a list"):
        provider_for(envelope).field_values(envelope.remote_id)


def test_a_signed_file_redirect_without_a_location_is_a_transient_error(formify, formify_envelope):
    envelope = formify_envelope(people=(("Ada Signer", "ada@example.com"),))
    formify.fake.sign(envelope.remote_id, envelope.participants.get().remote_id)
    formify.fake.fail_next("GET", r"/signed-file$", status=302, body="")
    with pytest.raises(ProviderError) as raised:
        provider_for(envelope).download_signed(envelope.remote_id)
    assert not raised.value.permanent
    (signed,) = provider_for(envelope).download_signed(envelope.remote_id)
    assert signed.content.startswith(b"%PDF")
    # The pre-signed link never saw Paraph's bearer token.
    assert all("Authorization" not in headers for headers in formify.fake.download_requests)


def test_an_html_page_instead_of_an_answer_is_a_transient_error(formify, formify_envelope):
    envelope = formify_envelope()
    formify.fake.answer_html_next("GET", DOCUMENT, status=200)
    with pytest.raises(ProviderError) as raised:
        provider_for(envelope).fetch(envelope.remote_id)
    assert not raised.value.permanent
    assert raised.value.message.startswith("Paraph could not read Formify's answer")
