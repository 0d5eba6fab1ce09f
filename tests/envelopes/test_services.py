"""Envelope services: drafts, participants, sending, void, remind, duplicate and templates."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_q.models import Schedule

from envelopes.composing.participants import (
    envelope_set_signing_order,
    participant_add,
    participant_move,
    participant_remove,
    participant_update,
    phone_to_e164,
    signing_summary,
)
from envelopes.composing.templating import envelope_from_template, template_from_envelope
from envelopes.models import (
    AuthMethod,
    Delivery,
    DocumentKind,
    EnvelopeEvent,
    EnvelopeStatus,
    ParticipantRole,
    ParticipantStatus,
    SignatureField,
)
from envelopes.outgoing.sending import envelope_deliver, send_problems
from envelopes.services import (
    envelope_create,
    envelope_duplicate,
    envelope_remind,
    envelope_send,
    envelope_update,
    envelope_void,
)
from portal.models import Role
from providers.base import ProviderError


@pytest.fixture
def sender(make_member):
    return make_member(role=Role.SENDER)


@pytest.fixture
def draft(sender, fake_providers, make_document):
    envelope = envelope_create(org=sender.org, actor=sender.user, title="Lease", provider="memory")
    make_document(envelope, pages=2)
    return envelope


def add(envelope, name, email, **fields):
    return participant_add(envelope=envelope, name=name, email=email, **fields)


def test_new_draft_takes_the_organizations_defaults(sender):
    org = sender.org
    org.reminder_max, org.default_expiry_days = 5, 10
    org.save()
    envelope = envelope_create(org=org, actor=sender.user)
    assert envelope.title == "Untitled envelope" and envelope.reminder_max == 5
    assert 9 <= (envelope.expires_at - envelope.created_at).days <= 10
    assert envelope.events.get().kind == "envelope.created"


@pytest.mark.parametrize("raw,e164", [("+46 70-123 45 67", "+46701234567"), ("+1 (415) 555-2671", "+14155552671")])
def test_phone_numbers_are_stored_in_e164(raw, e164):
    assert phone_to_e164(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "+46 12", "call me"])
def test_invalid_phone_numbers_are_refused_with_a_hint(raw):
    with pytest.raises(ValidationError, match="country code"):
        phone_to_e164(raw)


def test_invalid_phone_is_refused_next_to_the_phone_field(draft):
    with pytest.raises(ValidationError) as raised:
        add(draft, "Anna", "anna@example.com", phone="+46 12", delivery=Delivery.EMAIL_SMS)
    assert "phone" in raised.value.message_dict
    assert draft.participants.count() == 0


def test_the_same_email_twice_is_refused(draft):
    add(draft, "Anna", "anna@example.com")
    with pytest.raises(ValidationError) as raised:
        add(draft, "Anna again", "ANNA@example.com")
    assert raised.value.message_dict["email"] == ["anna@example.com is already a participant in this envelope."]
    assert draft.participants.count() == 1


def test_sms_delivery_needs_a_phone(draft):
    with pytest.raises(ValidationError) as raised:
        add(draft, "Bo", "", delivery=Delivery.SMS)
    assert "phone number" in raised.value.message_dict["phone"][0]


def test_sequential_order_and_its_summary(draft):
    anna = add(draft, "Anna", "anna@example.com")
    bo = add(draft, "Bo", "bo@example.com")
    cecilia = add(draft, "Cecilia", "cecilia@example.com")
    assert signing_summary(list(draft.participants.all())) == "Anna, Bo and Cecilia sign, in any order."
    envelope_set_signing_order(envelope=draft, sequential=True)
    participant_update(participant=cecilia, order=2)
    assert signing_summary(list(draft.participants.all())) == "Anna signs first, then Bo and Cecilia sign together."
    participant_move(participant=anna, offset=1)
    orders = {p.name: (p.position, p.order) for p in draft.participants.all()}
    assert orders == {"Bo": (0, 1), "Anna": (1, 2), "Cecilia": (2, 2)}
    participant_remove(participant=bo)
    assert {p.name: p.order for p in draft.participants.all()} == {"Anna": 1, "Cecilia": 1}


def test_a_new_participant_in_a_sequential_envelope_signs_last(draft):
    add(draft, "Anna", "anna@example.com")
    add(draft, "Bo", "bo@example.com")
    envelope_set_signing_order(envelope=draft, sequential=True)
    assert add(draft, "Cecilia", "cecilia@example.com").order == 3


def test_sending_needs_a_document_and_a_signer(sender, fake_providers):
    envelope = envelope_create(org=sender.org, actor=sender.user, title="Empty", provider="memory")
    with pytest.raises(ValidationError) as raised:
        envelope_send(envelope=envelope, actor=sender.user)
    assert raised.value.messages == ["Add at least one document to sign.", "Add at least one signer."]
    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.DRAFT


def test_sending_checks_what_the_provider_can_do(draft, make_document):
    make_document(draft, kind=DocumentKind.ATTACHMENT)
    make_document(draft)
    add(draft, "Anna", "anna@example.com", auth_sign=AuthMethod.SE_BANKID)
    add(draft, "Bo", "bo@example.com", role=ParticipantRole.APPROVER, delivery=Delivery.SMS, phone="+46701234567")
    envelope_set_signing_order(envelope=draft, sequential=True)
    envelope_update(envelope=draft, provider="limited")
    assert send_problems(draft) == [
        "Limited Sign takes at most 1 document(s) per envelope.",
        "Limited Sign does not support attachments; remove them or choose another provider.",
        "Limited Sign cannot send in a signing order; make everyone sign in parallel.",
        "Limited Sign does not offer Swedish BankID authentication (Anna).",
        "Limited Sign has no approvers; change Bo's role.",
        "Limited Sign cannot deliver by SMS; change it for Bo.",
    ]


def test_double_clicked_send_sends_once(draft, django_capture_on_commit_callbacks):
    add(draft, "Anna", "anna@example.com")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        envelope_send(envelope=draft, actor=None)
        with pytest.raises(ValidationError, match="already been sent"):
            envelope_send(envelope=draft, actor=None)
    assert len(callbacks) == 1
    assert draft.events.filter(kind="envelope.queued").count() == 1


def test_a_sent_envelope_is_read_only(draft):
    add(draft, "Anna", "anna@example.com")
    envelope_send(envelope=draft, actor=None)
    with pytest.raises(ValidationError, match="can no longer be changed"):
        envelope_update(envelope=draft, title="Changed")
    with pytest.raises(ValidationError, match="can no longer be changed"):
        add(draft, "Bo", "bo@example.com")


def deliver(envelope):
    envelope_send(envelope=envelope, actor=None)
    return envelope_deliver(envelope_id=envelope.pk)


def test_delivery_sends_through_the_provider_and_invites_the_first_group(draft, fake_providers):
    add(draft, "Anna", "anna@example.com")
    add(draft, "Bo", "bo@example.com")
    envelope_set_signing_order(envelope=draft, sequential=True)
    assert deliver(draft) == "sent"
    draft.refresh_from_db()
    assert draft.status == EnvelopeStatus.SENT and draft.remote_id in fake_providers.remote
    statuses = {p.name: p.status for p in draft.participants.all()}
    assert statuses == {"Anna": ParticipantStatus.INVITED, "Bo": ParticipantStatus.WAITING}


def test_a_crash_after_the_remote_envelope_exists_does_not_create_a_second(draft, fake_providers):
    add(draft, "Anna", "anna@example.com")
    envelope_send(envelope=draft, actor=None)
    draft.refresh_from_db()
    # The first attempt created the remote envelope, then the worker died before recording it.
    draft.remote_state = {"checkpoint": {"created": "mem-existing"}}
    draft.save()
    fake_providers.remote["mem-existing"] = {"status": "sent", "reminded": {}}
    envelope_deliver(envelope_id=draft.pk)
    draft.refresh_from_db()
    assert draft.remote_id == "mem-existing" and len(fake_providers.remote) == 1


def test_permanent_provider_error_fails_the_envelope_with_the_message(draft, fake_providers):
    add(draft, "Anna", "anna@example.com")
    fake_providers.fail_next.append(ProviderError("The PDF is damaged.", permanent=True))
    assert deliver(draft) == "failed"
    draft.refresh_from_db()
    assert (draft.status, draft.last_error) == (EnvelopeStatus.FAILED, "The PDF is damaged.")


def test_transient_provider_error_is_retried_later(draft, fake_providers):
    add(draft, "Anna", "anna@example.com")
    fake_providers.fail_next.append(ProviderError("Memory Sign is down.", retry_after=30))
    assert deliver(draft) == "will retry"
    draft.refresh_from_db()
    assert draft.status == EnvelopeStatus.QUEUED
    assert Schedule.objects.filter(func="envelopes.tasks.send_envelope", args=str(draft.pk)).exists()
    assert envelope_deliver(envelope_id=draft.pk) == "sent"


def test_void_tells_the_provider_and_records_the_reason(draft, fake_providers):
    add(draft, "Anna", "anna@example.com")
    deliver(draft)
    draft.refresh_from_db()
    with pytest.raises(ValidationError):
        envelope_void(envelope=draft, actor=None, reason="  ")
    envelope_void(envelope=draft, actor=None, reason="Wrong price")
    draft.refresh_from_db()
    assert (draft.status, draft.void_reason) == (EnvelopeStatus.VOIDED, "Wrong price")
    assert fake_providers.remote[draft.remote_id]["status"] == "voided"
    with pytest.raises(ValidationError, match="cannot be voided"):
        envelope_void(envelope=draft, actor=None, reason="again")


def test_remind_reports_cooldowns(draft, fake_providers):
    add(draft, "Anna", "anna@example.com")
    deliver(draft)
    draft.refresh_from_db()
    first = envelope_remind(envelope=draft, actor=None)
    assert [p.name for p in first.reminded] == ["Anna"]
    second = envelope_remind(envelope=draft, actor=None)
    assert second.reminded == [] and "one reminder per hour" in second.not_reminded["Anna"]
    assert draft.participants.get().reminders_sent == 1


def test_duplicate_copies_documents_people_and_fields(draft):
    anna = add(draft, "Anna", "anna@example.com")
    SignatureField.objects.create(document=draft.documents.get(), participant=anna, page=2, x=50, y=60)
    copy = envelope_duplicate(envelope=draft, actor=None)
    assert copy.status == EnvelopeStatus.DRAFT and copy.title == "Lease (copy)"
    assert copy.documents.get().file.read()[:5] == b"%PDF-"
    assert copy.participants.get().email == "anna@example.com"
    assert SignatureField.objects.get(document__envelope=copy).page == 2


def test_template_round_trip_turns_people_into_roles_and_back(draft, sender):
    add(draft, "Anna Andersson", "c@example.com", role=ParticipantRole.SIGNER)
    add(draft, "Bo Berg", "m@example.com", role=ParticipantRole.APPROVER)
    template = template_from_envelope(envelope=draft, actor=sender.user, name="Lease template")
    # The people are not kept: roles are named after what they do, to be renamed on the template.
    assert [r.label for r in template.roles.all()] == ["Signer 1", "Approver 1"]
    envelope = envelope_from_template(template=template, actor=sender.user)
    people = list(envelope.participants.all())
    assert [(p.name, p.email, p.role) for p in people] == [
        ("Signer 1", "", ParticipantRole.SIGNER),
        ("Approver 1", "", ParticipantRole.APPROVER),
    ]
    assert envelope.documents.count() == 1
    assert "Signer 1 needs an e-mail address." in send_problems(envelope)


def test_every_change_is_in_the_audit_trail(draft):
    add(draft, "Anna", "anna@example.com")
    envelope_send(envelope=draft, actor=None)
    kinds = list(EnvelopeEvent.objects.filter(envelope=draft).values_list("kind", flat=True))
    assert kinds[0] == "envelope.created" and "participant.added" in kinds and kinds[-1] == "envelope.queued"


def test_settings_refuse_a_long_message_and_a_past_expiry(draft):
    from datetime import timedelta

    from django.utils import timezone

    with pytest.raises(ValidationError) as raised:
        envelope_update(envelope=draft, message="x" * 501, expires_at=timezone.now() - timedelta(days=1), title=" ")
    assert raised.value.message_dict == {
        "title": ["Give the envelope a title; signers see it."],
        "message": ["Keep the message to 500 characters (now 501)."],
        "expires_at": ["Choose an expiry date in the future."],
    }
    envelope_update(envelope=draft, message="x" * 500, language="sv")
    draft.refresh_from_db()
    assert (len(draft.message), draft.language) == (500, "sv")


def test_a_send_abandoned_by_a_dead_worker_is_taken_over_and_resumed(draft, fake_providers, settings):
    from datetime import timedelta

    from django.utils import timezone

    from envelopes.models import Envelope

    add(draft, "Anna", "anna@example.com")
    envelope_send(envelope=draft, actor=None)
    # The first worker claimed it, created the remote envelope, then died.
    stale = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 120)
    Envelope.objects.filter(pk=draft.pk).update(
        status=EnvelopeStatus.SENDING, updated_at=stale, remote_state={"checkpoint": {"created": "mem-9"}}
    )
    fake_providers.remote["mem-9"] = {"status": "sent", "reminded": {}}
    assert envelope_deliver(envelope_id=draft.pk) == "sent"
    draft.refresh_from_db()
    assert (draft.status, draft.remote_id) == (EnvelopeStatus.SENT, "mem-9")
    # A fresh claim by a live worker is left alone.
    Envelope.objects.filter(pk=draft.pk).update(status=EnvelopeStatus.SENDING, updated_at=timezone.now())
    assert envelope_deliver(envelope_id=draft.pk).startswith("not queued")


def test_an_envelope_whose_provider_is_gone_fails_with_a_readable_reason(draft, fake_providers):
    add(draft, "Anna", "anna@example.com")
    envelope_send(envelope=draft, actor=None)
    from envelopes.models import Envelope

    Envelope.objects.filter(pk=draft.pk).update(provider="retired")
    assert envelope_deliver(envelope_id=draft.pk) == "failed"
    draft.refresh_from_db()
    assert "is not configured on this installation" in draft.last_error


def test_an_unexpected_crash_while_sending_fails_the_envelope_visibly(draft, fake_providers):
    add(draft, "Anna", "anna@example.com")
    fake_providers.fail_next.append(RuntimeError("bug"))
    envelope_send(envelope=draft, actor=None)
    with pytest.raises(RuntimeError):
        envelope_deliver(envelope_id=draft.pk)
    draft.refresh_from_db()
    assert draft.status == EnvelopeStatus.FAILED and "error on our side" in draft.last_error


def test_transient_failures_back_off_and_give_up_after_the_limit(draft, fake_providers):
    from envelopes.outgoing.sending import SEND_ATTEMPTS

    add(draft, "Anna", "anna@example.com")
    envelope_send(envelope=draft, actor=None)
    for attempt in range(1, SEND_ATTEMPTS + 1):
        fake_providers.fail_next.append(ProviderError("Memory Sign is down."))
        outcome = envelope_deliver(envelope_id=draft.pk)
        assert outcome == ("failed" if attempt == SEND_ATTEMPTS else "will retry")
    draft.refresh_from_db()
    assert draft.status == EnvelopeStatus.FAILED and f"tried {SEND_ATTEMPTS} times" in draft.last_error
    delays = sorted(
        (s.next_run for s in Schedule.objects.filter(func="envelopes.tasks.send_envelope")), key=lambda d: d
    )
    assert len(delays) == SEND_ATTEMPTS - 1
