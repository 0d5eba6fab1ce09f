"""End to end against the fake Formify: connect by OAuth, send, signers sign at Formify, webhooks
arrive, the envelope completes and the signed PDF downloads."""

from __future__ import annotations

import re

from django.urls import reverse

from envelopes.models import Envelope
from providers.models import DeliveryStatus, WebhookDelivery


def test_connecting_stores_the_account_webhook_and_encrypted_tokens(formify):
    connection, fake = formify.connection, formify.fake
    assert (connection.status, connection.label) == ("connected", "Formify — Sales")
    assert connection.account_name == fake.account["accountName"]
    ((webhook_id, webhook),) = fake.webhooks.items()
    assert connection.webhook_id == webhook_id
    assert webhook["webhookUrl"] == f"http://testserver/webhooks/formify/{connection.pk}/"
    assert set(webhook["eventTypes"]) >= {"document.signed", "document.completed", "document.opened"}
    assert connection.webhook_secret == webhook["signingSecret"]
    # At rest, neither the tokens nor the secret appear in clear.
    raw = bytes(connection.credentials_encrypted) + bytes(connection.webhook_secret_encrypted)
    assert connection.credentials["access_token"].encode() not in raw
    assert webhook["signingSecret"].encode() not in raw
    # PKCE was used: the consent request carried a challenge and the exchange a verifier.
    token_calls = [r for r in fake.requests if r.path.startswith("/v1/oauth/token")]
    assert b"code_verifier=" in token_calls[0].body


def test_the_connection_screen_lists_the_account_without_secrets(formify):
    page = formify.client.get(reverse("connection_list")).content.decode()
    assert "Formify — Sales" in page and "Connected" in page
    assert formify.connection.credentials["access_token"] not in page
    assert formify.connection.webhook_secret not in page


def test_signatures_at_formify_complete_the_envelope_and_the_signed_pdf_downloads(formify, formify_envelope):
    envelope = formify_envelope()
    assert envelope.status == "sent", envelope.last_error
    fake = formify.fake
    document = fake.documents[envelope.remote_id]
    assert [s["fullName"] for s in document["signeeDetails"]] == ["Ada Signer", "Ben Signer"]
    people = {p.email: p for p in envelope.participants.all()}
    assert all(p.remote_id for p in people.values())

    fake.open(envelope.remote_id, people["ada@example.com"].remote_id)
    fake.sign(envelope.remote_id, people["ada@example.com"].remote_id)
    envelope.refresh_from_db()
    assert envelope.status == "sent"
    statuses = dict(envelope.participants.values_list("email", "status"))
    assert statuses == {"ada@example.com": "signed", "ben@example.com": "invited"}

    fake.set_field_values(envelope.remote_id, [{"name": "Apartment", "value": ["4B"]}])
    fake.sign(envelope.remote_id, people["ben@example.com"].remote_id)
    envelope.refresh_from_db()
    assert envelope.status == "completed"
    assert envelope.signed_sha256 and envelope.signed_file
    assert envelope.remote_state.get("field_values") == {"Apartment": ["4B"]}
    assert all(status in (200, 201, 202, 204) for status in formify.webhook_statuses)
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PROCESSED).count() >= 3

    page = formify.client.get(reverse("envelope_detail", args=[envelope.pk])).content.decode()
    assert "via Formify (Formify — Sales)" in page
    assert "<dt>Apartment</dt><dd>4B</dd>" in page

    response = formify.client.get(reverse("envelope_signed_file", args=[envelope.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    # The pre-signed download URL never saw Paraph's bearer token.
    assert fake.download_requests and all("Authorization" not in h for h in fake.download_requests)


def test_sending_maps_every_participant_detail(formify, formify_envelope, make_document):
    envelope = formify_envelope(
        people=(("Ada Signer", "ada@example.com"),), message="Please sign by Friday", language="sv"
    )
    body = _create_body(formify.fake)
    # The title, and a reference only this send uses (how a retry recognises its document).
    assert re.fullmatch(r"Lease \(ref\. [2-9A-Z]{6}\)", body["name"]) and body["language"] == "sv"
    assert body["personalMessage"] == "Please sign by Friday"
    (signee,) = body["signeeDetails"]
    assert signee == {
        "fullName": "Ada Signer",
        "emailAddress": "ada@example.com",
        "signatureType": "digital_ink",
        "signingOrder": 1,
        "signaturePlacement": "new_page",
    }
    assert body["enableSigningOrder"] is False
    assert Envelope.objects.get(pk=envelope.pk).status == "sent"


def _create_body(fake) -> dict:
    import json

    (create,) = [r for r in fake.requests if r.method == "POST" and r.path == "/v1/docs"]
    return json.loads(create.body)
