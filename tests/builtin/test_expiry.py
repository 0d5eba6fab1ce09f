"""A signing link stops at the envelope's expiry itself, not at the next expiry sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from providers.builtin.models import Signer
from tests.builtin.conftest import links_for

SIGN = {"action": "sign", "method": "typed", "typed": "Anna Andersson", "consent": "1", "read": "1"}
APPROVE = {"action": "approve", "consent": "1", "read": "1"}
DECLINE = {"action": "decline", "reason": "Too late"}


@pytest.fixture
def out_for_signature(send_builtin, settings):
    """Anna signs (with an e-mailed code), Vera approves; one attachment. Both links in hand."""
    settings.TIME_ZONE = "UTC"
    envelope = send_builtin(
        [
            ("Anna Andersson", "anna@example.com", {"auth_sign": "email_otp"}),
            ("Vera Viklund", "vera@example.com", {"role": "approver"}),
        ],
        attachments=1,
    )
    return envelope, links_for("anna@example.com")[0], links_for("vera@example.com")[0]



def request_for(action: str, envelope, anna: str, vera: str):
    """(method, path, data) of each thing a signer can do with a link."""
    return {
        "open": ("get", anna, None),
        "send code": ("post", anna + "code/", {"action": "send"}),
        "check code": ("post", anna + "code/", {"code": "123456"}),
        "sign": ("post", anna + "act/", SIGN),
        "approve": ("post", vera + "act/", APPROVE),
        "decline": ("post", vera + "act/", DECLINE),
    }[action]


@pytest.mark.parametrize("action", ["open", "send code", "check code", "sign", "approve", "decline"])
def test_every_signing_action_says_the_envelope_expired_the_moment_it_passes(
    client, out_for_signature, committed, action
):
    envelope, anna, vera = out_for_signature
    method, path, data = request_for(action, envelope, anna, vera)
    sent_before = len(mail.outbox)
    # One second past the expiry, long before the sweep has marked anything expired.
    with time_machine.travel(envelope.expires_at + timedelta(seconds=1), tick=False):
        response = committed(getattr(client, method), path, data)
    envelope.refresh_from_db()
    assert envelope.status == "sent"  # the sweep has not run
    assert response.status_code == 410
    body = response.content.decode()
    assert f"This envelope expired on {envelope.expires_at:%-d %B %Y, %H:%M}" in body
    assert set(Signer.objects.values_list("status", flat=True)) == {"invited"}
    assert len(mail.outbox) == sent_before  # no code, no decline notice


def test_an_attachment_link_says_the_envelope_expired(client, out_for_signature):
    envelope, anna, _ = out_for_signature
    request = Signer.objects.get(email="anna@example.com").request
    document = request.documents.get(kind="attachment")
    with time_machine.travel(envelope.expires_at + timedelta(seconds=1), tick=False):
        response = client.get(anna + f"attachments/{document.ref}/")
    assert response.status_code == 410 and "This envelope expired on" in response.content.decode()


def test_a_signature_a_moment_before_the_expiry_still_counts(client, out_for_signature, committed):
    envelope, _, vera = out_for_signature
    with time_machine.travel(envelope.expires_at - timedelta(seconds=5), tick=False):
        response = committed(client.post, vera + "act/", APPROVE)
    assert response.status_code == 200
    assert Signer.objects.get(email="vera@example.com").status == "approved"
