"""Paraph signing from the signer's side: links, codes, turns, signing, declining, voiding."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from envelopes.composing.participants import participant_change_contact
from envelopes.models import EnvelopeStatus, ParticipantStatus
from envelopes.services import envelope_remind, envelope_void
from providers.builtin.models import Signer, SigningRequest
from tests.builtin.conftest import links_for

ANNA = ("Anna Andersson", "anna@example.com", {})
BO = ("Bo Berg", "bo@example.com", {})


def typed(name="Anna Andersson"):
    return {"action": "sign", "method": "typed", "typed": name, "consent": "1"}


def statuses(envelope):
    return {p.name: p.status for p in envelope.participants.all()}


def test_sequential_envelope_invites_the_next_signer_only_after_the_first(client, send_builtin, committed):
    envelope = send_builtin([ANNA, BO], sequential=True)
    assert len(links_for("anna@example.com")) == 1 and links_for("bo@example.com") == []
    assert statuses(envelope) == {"Anna Andersson": "invited", "Bo Berg": "waiting"}

    link = links_for("anna@example.com")[0]
    page = committed(client.get, link).content.decode()
    assert "You are asked to sign" in page and "Lease" in page
    assert statuses(envelope)["Anna Andersson"] == ParticipantStatus.OPENED
    response = committed(client.post, link + "act/", typed())
    assert "Thank you, Anna Andersson" in response.content.decode()
    assert statuses(envelope) == {"Anna Andersson": "signed", "Bo Berg": "invited"}
    assert len(links_for("bo@example.com")) == 1
    kinds = list(envelope.events.values_list("kind", flat=True))
    assert kinds.count("participant.signed") == 1 and "participant.opened" in kinds


def test_a_signer_whose_turn_has_not_come_has_no_link(send_builtin):
    send_builtin([ANNA, BO], sequential=True)
    bo = Signer.objects.get(email="bo@example.com")
    assert bo.token_hash is None and bo.status == "waiting"


def test_tampered_and_unknown_links_get_a_readable_page(client, send_builtin):
    send_builtin([ANNA])
    link = links_for("anna@example.com")[0]
    response = client.get(link[:-3] + "xx/")
    assert response.status_code == 404 and "This link does not work" in response.content.decode()


def test_links_expire_with_the_envelope(client, send_builtin):
    envelope = send_builtin([ANNA])
    SigningRequest.objects.filter(envelope_ref=str(envelope.pk)).update(expires_at=timezone.now() - timedelta(1))
    response = client.get(links_for("anna@example.com")[0])
    assert response.status_code == 410 and "This envelope expired on" in response.content.decode()


def test_void_revokes_every_link(client, send_builtin, committed):
    envelope = send_builtin([ANNA, BO])
    link = links_for("anna@example.com")[0]
    committed(envelope_void, envelope=envelope, actor=None, reason="Wrong price")
    response = client.get(link)
    assert response.status_code == 410 and "This envelope is no longer available" in response.content.decode()
    assert client.post(link + "act/", typed()).status_code == 410
    assert not Signer.objects.filter(status="signed").exists()
    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.VOIDED


def test_a_contact_change_replaces_the_link(client, send_builtin, committed):
    envelope = send_builtin([ANNA])
    old = links_for("anna@example.com")[0]
    anna = envelope.participants.get()
    committed(participant_change_contact, participant=anna, actor=None, email="anna.new@example.com")
    assert client.get(old).status_code == 404
    new = links_for("anna.new@example.com")[0]
    assert client.get(new).status_code == 200


def test_signing_twice_from_two_tabs_records_one_signature(client, send_builtin, committed):
    envelope = send_builtin([ANNA, BO])
    link = links_for("anna@example.com")[0]
    client.get(link)
    committed(client.post, link + "act/", typed())
    again = committed(client.post, link + "act/", typed())
    assert again.status_code in (200, 409) and "You signed on" in again.content.decode()
    assert envelope.events.filter(kind="participant.signed").count() == 1


def test_an_empty_drawing_and_a_huge_data_url_are_refused(client, send_builtin):
    envelope = send_builtin([ANNA])
    link = links_for("anna@example.com")[0]
    empty = client.post(link + "act/", {"action": "sign", "method": "drawn", "drawn": "", "consent": "1"})
    assert empty.status_code == 400
    huge = "data:image/png;base64," + base64.b64encode(b"\0" * (10 * 1024 * 1024)).decode()
    response = client.post(link + "act/", {"action": "sign", "method": "drawn", "drawn": huge, "consent": "1"})
    assert response.status_code == 400 and "too large" in response.content.decode()
    assert statuses(envelope)["Anna Andersson"] != "signed"


def test_signing_needs_consent(client, send_builtin):
    send_builtin([ANNA])
    link = links_for("anna@example.com")[0]
    response = client.post(link + "act/", {"action": "sign", "method": "typed", "typed": "Anna"})
    assert response.status_code == 400 and "Tick the box" in response.content.decode()


def test_decline_needs_a_reason_then_ends_the_envelope_and_tells_people(client, send_builtin, committed):
    envelope = send_builtin([ANNA, BO], sequential=True)
    anna_link = links_for("anna@example.com")[0]
    committed(client.post, anna_link + "act/", typed())
    bo_link = links_for("bo@example.com")[0]
    asked = client.post(bo_link + "act/", {"action": "decline", "reason": " "})
    assert asked.status_code == 400 and "Tell the sender why" in asked.content.decode()
    mail.outbox.clear()
    committed(client.post, bo_link + "act/", {"action": "decline", "reason": "The rent is wrong"})
    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.DECLINED
    bo = envelope.participants.get(name="Bo Berg")
    assert (bo.status, bo.decline_reason) == ("declined", "The rent is wrong")
    told = {address for message in mail.outbox for address in message.to}
    assert {"anna@example.com", envelope.created_by.email} <= told
    assert all("The rent is wrong" in m.body for m in mail.outbox)
    closed = client.get(anna_link)
    assert closed.status_code == 410 and "someone declined" in closed.content.decode()


def test_email_code_before_opening_and_lockout_after_five_wrong_codes(client, send_builtin):
    send_builtin([("Anna Andersson", "anna@example.com", {"auth_view": "email_otp"})])
    link = links_for("anna@example.com")[0]
    page = client.get(link).content.decode()
    assert "Confirm it is you" in page and "Lease" in page and "pages/" not in page
    client.post(link + "code/", {"action": "send"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].subject).group(1)
    wrong = "000000" if code != "000000" else "111111"
    last = None
    for _ in range(5):
        last = client.post(link + "code/", {"action": "check", "code": wrong})
    assert "Too many wrong codes" in last.content.decode()
    locked = client.post(link + "code/", {"action": "check", "code": code})
    assert "Too many wrong codes" in locked.content.decode()
    assert "Confirm it is you" in client.get(link).content.decode()


def test_the_right_code_opens_the_documents(client, send_builtin, committed):
    envelope = send_builtin([("Anna Andersson", "anna@example.com", {"auth_view": "email_otp"})])
    link = links_for("anna@example.com")[0]
    client.post(link + "code/", {"action": "send"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].subject).group(1)
    response = committed(client.post, link + "code/", {"action": "check", "code": code}, follow=True)
    assert "Your signature" in response.content.decode()
    assert statuses(envelope)["Anna Andersson"] == "opened"


def test_reminders_resend_the_same_link_at_most_hourly(send_builtin, committed):
    envelope = send_builtin([ANNA])
    first = links_for("anna@example.com")
    outcome = committed(envelope_remind, envelope=envelope, actor=None)
    assert [p.name for p in outcome.reminded] == ["Anna Andersson"]
    assert links_for("anna@example.com") == first * 2
    again = committed(envelope_remind, envelope=envelope, actor=None)
    assert again.reminded == [] and "less than an hour ago" in again.not_reminded["Anna Andersson"]


@pytest.mark.parametrize("role,button", [("approver", "Approve"), ("viewer", None)])
def test_approvers_approve_and_viewers_only_read(client, send_builtin, committed, role, button):
    envelope = send_builtin([ANNA, ("Vera", "vera@example.com", {"role": role})])
    page = committed(client.get, links_for("vera@example.com")[0]).content.decode()
    if button:
        assert f">{button}</button>" in page
        committed(client.post, links_for("vera@example.com")[0] + "act/", {"action": "approve", "consent": "1"})
        assert statuses(envelope)["Vera"] == "approved"
    else:
        assert "nothing for you to sign" in page
        assert statuses(envelope)["Vera"] == "opened"


def test_a_send_retried_after_a_lost_checkpoint_reuses_the_signing_request(send_builtin):
    from envelopes.outgoing.sending import send_request_for
    from providers.base import Checkpoint
    from providers.builtin.provider import BuiltinProvider

    envelope = send_builtin([ANNA])
    sent = len(mail.outbox)
    again = BuiltinProvider().send(send_request_for(envelope), Checkpoint())
    assert again.remote_id == envelope.remote_id
    assert SigningRequest.objects.count() == 1 and len(mail.outbox) == sent


def test_a_code_to_sign_is_asked_on_the_page_and_then_signing_works(client, send_builtin, committed):
    envelope = send_builtin([("Anna Andersson", "anna@example.com", {"auth_sign": "email_otp"})])
    link = links_for("anna@example.com")[0]
    page = committed(client.get, link).content.decode()
    assert "Confirm it is you before signing" in page and "/pages/" in page  # documents shown, signing waits
    refused = client.post(link + "act/", typed())
    assert refused.status_code == 400 and "Confirm the code" in refused.content.decode()
    client.post(link + "code/", {"action": "send"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].subject).group(1)
    client.post(link + "code/", {"action": "check", "code": code})
    committed(client.post, link + "act/", typed())
    assert statuses(envelope)["Anna Andersson"] == "signed"


def confirm_code(client, link):
    client.post(link + "code/", {"action": "send"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].subject).group(1)
    client.post(link + "code/", {"action": "check", "code": code})


def test_a_confirmed_code_does_not_open_the_link_in_another_browser(client, send_builtin, committed):
    from django.test import Client

    send_builtin([("Anna Andersson", "anna@example.com", {"auth_view": "email_otp"})])
    link = links_for("anna@example.com")[0]
    confirm_code(client, link)
    assert "Your signature" in committed(client.get, link).content.decode()
    stranger = Client()
    assert "Confirm it is you" in stranger.get(link).content.decode()
    assert stranger.get(link + "pages/x/1.png").status_code == 404


def test_declining_also_needs_the_code(client, send_builtin):
    envelope = send_builtin([("Anna Andersson", "anna@example.com", {"auth_view": "email_otp"})])
    link = links_for("anna@example.com")[0]
    response = client.post(link + "act/", {"action": "decline", "reason": "No"})
    assert response.status_code == 400 and "Confirm the code" in response.content.decode()
    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.SENT


def test_an_approver_with_a_signing_code_must_confirm_it(client, send_builtin, committed):
    envelope = send_builtin([ANNA, ("Vera", "vera@example.com", {"role": "approver", "auth_sign": "email_otp"})])
    link = links_for("vera@example.com")[0]
    assert "Confirm it is you before signing" in committed(client.get, link).content.decode()
    refused = client.post(link + "act/", {"action": "approve", "consent": "1"})
    assert refused.status_code == 400 and statuses(envelope)["Vera"] == "opened"
    confirm_code(client, link)
    committed(client.post, link + "act/", {"action": "approve", "consent": "1"})
    assert statuses(envelope)["Vera"] == "approved"


def test_viewers_cannot_decline(client, send_builtin):
    envelope = send_builtin([ANNA, ("Vic", "vic@example.com", {"role": "viewer"})])
    response = client.post(links_for("vic@example.com")[0] + "act/", {"action": "decline", "reason": "No"})
    assert response.status_code == 400
    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.SENT


def test_a_last_group_of_viewers_does_not_hold_up_completion(client, send_builtin, committed):
    envelope = send_builtin([ANNA, ("Vic", "vic@example.com", {"role": "viewer"})], sequential=True)
    assert links_for("vic@example.com") == []
    committed(client.post, links_for("anna@example.com")[0] + "act/", typed())
    assert len(links_for("vic@example.com")) == 1
    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.COMPLETED


def test_codes_are_sent_at_most_once_a_minute_and_recorded(client, send_builtin, committed):
    envelope = send_builtin([("Anna Andersson", "anna@example.com", {"auth_view": "email_otp"})])
    link = links_for("anna@example.com")[0]
    committed(client.post, link + "code/", {"action": "send"})
    again = client.post(link + "code/", {"action": "send"})
    assert again.status_code == 400 and "less than a minute ago" in again.content.decode()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].subject).group(1)
    committed(client.post, link + "code/", {"action": "check", "code": "999999" if code != "999999" else "000000"})
    committed(client.post, link + "code/", {"action": "check", "code": code})
    kinds = list(envelope.events.values_list("kind", flat=True))
    assert {"participant.code_sent", "participant.code_failed", "participant.code_confirmed"} <= set(kinds)


def test_remote_delete_erases_the_signing_copy_but_keeps_the_seal_hash(client, send_builtin, committed):
    from providers.builtin.provider import BuiltinProvider

    envelope = send_builtin([ANNA])
    link = links_for("anna@example.com")[0]
    committed(client.post, link + "act/", typed())
    signing = SigningRequest.objects.get()
    sealed_hash = signing.sealed_sha256
    BuiltinProvider().delete_remote(str(signing.pk))
    signing.refresh_from_db()
    assert not signing.sealed_file and signing.sealed_sha256 == sealed_hash and not signing.documents.exists()
    assert list(Signer.objects.values_list("name", "email", "ip")) == [("(erased)", "", None)]
    assert client.get(link).status_code == 404
    envelope.refresh_from_db()
    assert envelope.signed_file  # the envelope's own copy follows its own retention policy
