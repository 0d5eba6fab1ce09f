"""Scrive end to end against the doc-true fake: connecting, sending through the Document API,
callbacks, polling, reminders, voiding, the sealed PDF, retention."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from envelopes.incoming.polling import envelopes_sync_due
from envelopes.models import EnvelopeStatus, ParticipantStatus
from providers.models import ConnectionStatus, ProviderConnection
from tests.fakes.scrive.fake import SEALED_PDF_MARK

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


def test_pasted_credentials_are_proved_with_the_auth_check_and_stored(scrive):
    assert scrive.connection.status == ConnectionStatus.CONNECTED
    assert scrive.connection.credentials["token_key"] == scrive.fake.personal["token_key"]
    assert scrive.connection.webhook_secret  # the callback URL's secret
    check = scrive.fake.requests_to("GET", "/flow/folders/home/data_retention")
    assert len(check) == 1
    header = check[0].headers["Authorization"]
    # The header as Scrive's guide writes it: no "OAuth " prefix, the secrets joined by a bare "&".
    assert header.startswith('oauth_signature_method="PLAINTEXT"')
    assert 'oauth_signature="personal-client-secret&personal-token-secret"' in header


def test_refused_credentials_say_so_and_store_nothing(paste_scrive, fake_scrive):
    wrong = {**fake_scrive.personal, "token_secret": "not-it"}
    response = paste_scrive(wrong)
    assert "Scrive did not accept these credentials" in response.content.decode()
    assert not ProviderConnection.objects.filter(provider="scrive").exists()


def test_three_legged_connect_asks_for_the_three_privileges(fake_scrive, settings, member_client):
    from django.urls import reverse

    from tests.providers.scrive.conftest import path_of

    settings.SCRIVE_CLIENT_ID, settings.SCRIVE_CLIENT_SECRET = fake_scrive.client_key, fake_scrive.client_secret
    client, admin = member_client(role="admin")
    response = client.post(reverse("connection_connect", args=["scrive"]), {"label": "Scrive"})
    assert response.status_code == 302
    temporary = fake_scrive.requests[0]
    assert "privileges=DOC_CREATE%2BDOC_CHECK%2BDOC_SEND" in temporary.path
    callback = fake_scrive.authorize(response["Location"])
    client.get(path_of(callback), follow=True)
    connection = ProviderConnection.objects.get(org=admin.org, provider="scrive")
    assert connection.status == ConnectionStatus.CONNECTED
    assert connection.credentials["client_key"] == fake_scrive.client_key
    token = fake_scrive.clients.tokens[connection.credentials["token_key"]]
    assert token.privileges == {"DOC_CREATE", "DOC_CHECK", "DOC_SEND"}


def test_sends_one_document_with_two_signers_in_order_and_an_sms_code(scrive, scrive_envelope):
    envelope = scrive_envelope(
        people=(
            ("Ada Lovelace", "ada@example.com", {"order": 1}),
            ("Ben Ek", "ben@example.com", {"order": 2, "phone": "+46 70 123 45 67", "auth_sign": "sms_otp"}),
        ),
        expires_at=timezone.now() + timedelta(days=10),
        message="Please sign the lease.",
    )
    assert envelope.status == EnvelopeStatus.SENT, envelope.last_error
    document = scrive.fake.documents[envelope.remote_id]
    assert document["status"] == "pending"
    assert document["days_to_sign"] == 10
    assert document["invitation_message"] == "Please sign the lease."
    assert document["api_callback_url"].endswith(f"/{scrive.connection.webhook_secret}/")
    ada, ben = document["parties"][1:]
    assert (ada["sign_order"], ben["sign_order"]) == (1, 2)
    assert ben["authentication_method_to_sign"] == "sms_pin"
    assert {f["type"]: f["value"] for f in ben["fields"] if f["type"] == "mobile"} == {"mobile": "+46701234567"}
    people = {p.email: p for p in envelope.participants.all()}
    assert people["ada@example.com"].remote_id == ada["id"]
    assert people["ben@example.com"].status == ParticipantStatus.WAITING
    assert scrive.fake.document_count() == 1


def test_signatures_arrive_by_callback_and_the_sealed_pdf_is_kept(scrive, scrive_envelope):
    envelope = scrive_envelope()
    fake = scrive.fake
    fake.deliver_pending()  # the callback for "pending", made after the start call answered
    ada = fake.signatory_id(envelope.remote_id, "ada@example.com")
    ben = fake.signatory_id(envelope.remote_id, "ben@example.com")
    fake.open(envelope.remote_id, ada)
    fake.sign(envelope.remote_id, ada)
    signed = envelope.participants.get(email="ada@example.com")
    assert signed.status == ParticipantStatus.SIGNED
    fake.sign(envelope.remote_id, ben)
    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.COMPLETED
    assert envelope.signed_file.read().endswith(SEALED_PDF_MARK)
    assert all(status == 200 for status in scrive.callback_statuses)


def test_sealing_delay_is_waited_out_not_an_error(scrive, scrive_adapter, scrive_envelope):
    envelope = scrive_envelope()
    fake = scrive.fake
    fake.seal_delay = 5
    fake.webhook_transport = lambda url, body, headers: 503  # the download below is the first one
    slept = []
    scrive_adapter.sleep = lambda seconds: (slept.append(seconds), fake.advance(seconds))
    for email in ("ada@example.com", "ben@example.com"):
        fake.sign(envelope.remote_id, fake.signatory_id(envelope.remote_id, email))
    files = scrive_adapter.download_signed(envelope.remote_id)
    assert files[0].content.endswith(SEALED_PDF_MARK)
    assert slept == [1, 2, 4]  # 503, 503, 503, then the sealed PDF
    main = f"/api/v2/documents/{envelope.remote_id}/files/main/{envelope.remote_id}.pdf"
    assert len(scrive.fake.requests_to("GET", main)) >= 4


def test_a_decline_with_its_reason(scrive, scrive_envelope):
    envelope = scrive_envelope()
    fake = scrive.fake
    fake.reject(envelope.remote_id, fake.signatory_id(envelope.remote_id, "ben@example.com"), "Wrong rent")
    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.DECLINED
    ben = envelope.participants.get(email="ben@example.com")
    assert ben.status == ParticipantStatus.DECLINED
    assert ben.decline_reason == "Wrong rent"


def test_duplicate_callbacks_are_stored_once(scrive, scrive_envelope):
    from providers.models import WebhookDelivery

    envelope = scrive_envelope()
    scrive.fake.duplicate_callbacks = True
    scrive.fake.callback_now(envelope.remote_id)
    assert WebhookDelivery.objects.filter(provider="scrive", remote_id=envelope.remote_id).count() == 1


def test_a_callback_with_a_wrong_url_secret_is_refused(scrive, scrive_envelope):
    from django.test import Client

    envelope = scrive_envelope()
    url = f"/webhooks/scrive/{scrive.connection.pk}/not-the-secret/"
    body = {"document_id": envelope.remote_id, "document_json": "{}", "document_signed_and_sealed": "false"}
    assert Client().post(url, urlencode(body), content_type=FORM).status_code == 401


def test_a_callback_for_a_document_paraph_did_not_send_is_ignored(scrive, django_capture_on_commit_callbacks):
    from django.test import Client

    from providers.models import DeliveryStatus, WebhookDelivery

    url = f"/webhooks/scrive/{scrive.connection.pk}/{scrive.connection.webhook_secret}/"
    body = {
        "document_id": "123456789",
        "document_json": json.dumps({"id": "123456789", "status": "closed", "object_version": 3}),
        "document_signed_and_sealed": "true",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(url, urlencode(body), content_type=FORM).status_code == 200
    delivery = WebhookDelivery.objects.get(provider="scrive", remote_id="123456789")
    assert delivery.status == DeliveryStatus.IGNORED


def test_a_callback_claiming_completion_is_not_trusted(scrive, scrive_envelope, django_capture_on_commit_callbacks):
    from django.test import Client

    envelope = scrive_envelope()
    url = f"/webhooks/scrive/{scrive.connection.pk}/{scrive.connection.webhook_secret}/"
    forged = {"id": envelope.remote_id, "status": "closed", "object_version": 99}
    body = {
        "document_id": envelope.remote_id,
        "document_json": json.dumps(forged),
        "document_signed_and_sealed": "true",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(url, urlencode(body), content_type=FORM).status_code == 200
    assert scrive.fake.requests_to("GET", f"/api/v2/documents/{envelope.remote_id}/get")[-1]  # re-read
    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.SENT  # re-read from Scrive: still pending


def test_polling_repairs_a_missed_callback(scrive, scrive_envelope):
    envelope = scrive_envelope()
    fake = scrive.fake
    fake.webhook_transport = lambda url, body, headers: 503  # Paraph unreachable
    fake.sign(envelope.remote_id, fake.signatory_id(envelope.remote_id, "ada@example.com"))
    assert envelope.participants.get(email="ada@example.com").status != ParticipantStatus.SIGNED
    envelopes_sync_due(now=timezone.now() + timedelta(hours=1))
    assert envelope.participants.get(email="ada@example.com").status == ParticipantStatus.SIGNED


def test_expiry_then_prolong(scrive, scrive_adapter, scrive_envelope):
    envelope = scrive_envelope(expires_at=timezone.now() + timedelta(days=3))
    scrive.fake.time_out(envelope.remote_id)
    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.EXPIRED
    snapshot = scrive_adapter.prolong(envelope.remote_id, 7)
    assert snapshot.status == "sent"
    assert scrive.fake.documents[envelope.remote_id]["status"] == "pending"
    with pytest.raises(Exception, match="1 to 90 days"):
        scrive_adapter.prolong(envelope.remote_id, 91)


def test_remind_void_and_retention(scrive, scrive_adapter, scrive_envelope):
    envelope = scrive_envelope()
    result = scrive_adapter.remind(envelope.remote_id, ["1"], {})
    assert result.reminded == ("1",)
    assert scrive.fake.reminders(envelope.remote_id) == 1
    scrive_adapter.void(envelope.remote_id, "Sent by mistake")
    assert scrive.fake.documents[envelope.remote_id]["status"] == "canceled"
    scrive_adapter.void(envelope.remote_id, "again")  # an earlier cancel whose answer was lost
    scrive_adapter.delete_remote(envelope.remote_id)
    assert scrive.fake.documents[envelope.remote_id]["is_deleted"]
    scrive_adapter.delete_remote(envelope.remote_id)  # gone already is fine


def test_contact_change_for_a_party_who_has_not_signed(scrive, scrive_adapter, scrive_envelope):
    from dataclasses import replace

    from envelopes.outgoing.sending import send_request_for

    envelope = scrive_envelope()
    person = next(p for p in send_request_for(envelope).participants if p.email == "ben@example.com")
    remote_id = envelope.participants.get(email="ben@example.com").remote_id
    changed = replace(person, email="ben.ek@example.com", remote_id=remote_id)
    assert scrive_adapter.update_participant(envelope.remote_id, changed) == remote_id
    assert scrive.fake.signatory_id(envelope.remote_id, "ben.ek@example.com") == remote_id



@pytest.mark.parametrize(
    ("person", "named"),
    [
        ({"auth_sign": "fi_ftn"}, "Scrive does not offer Finnish FTN authentication"),
        ({"auth_view": "se_bankid"}, "personal number"),
        ({"phone": "+46 70", "delivery": "sms"}, "country code"),
    ],
)
def test_compose_refuses_what_scrive_would_refuse_before_any_call(scrive, make_document, person, named):
    from django.core.exceptions import ValidationError

    from envelopes.models import Participant
    from envelopes.services import envelope_create, envelope_send

    envelope = envelope_create(
        org=scrive.org, actor=scrive.admin.user, title="Lease", provider="scrive", connection=scrive.connection
    )
    make_document(envelope, pages=1)
    # Stored as is: what the compose form let through is what the send check judges.
    Participant.objects.create(envelope=envelope, name="Ben Ek", email="ben@example.com", position=0, **person)
    before = len(scrive.fake.requests)
    with pytest.raises(ValidationError) as refused:
        envelope_send(envelope=envelope, actor=scrive.admin.user)
    assert named in " ".join(refused.value.messages)
    assert len(scrive.fake.requests) == before
