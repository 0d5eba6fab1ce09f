"""Voiding a Paraph-signing envelope tells everyone already invited, once, and why."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from envelopes.models import EnvelopeStatus
from envelopes.services import envelope_void
from providers.builtin.provider import BuiltinProvider
from providers.formify.provider import FormifyProvider
from providers.registry import provider_class
from tests.builtin.conftest import links_for

ANNA = ("Anna Andersson", "anna@example.com", {})
BO = ("Bo Berg", "bo@example.com", {})
CECILIA = ("Cecilia Ek", "cecilia@example.com", {})


def voided_mails(address: str) -> list:
    return [m for m in mail.outbox if address in m.to and m.subject.startswith("Cancelled")]


def test_void_tells_everyone_invited_once_with_the_reason(client, send_builtin, committed):
    envelope = send_builtin([ANNA, BO, CECILIA], sequential=True)
    anna_link = links_for("anna@example.com")[0]
    committed(client.post, anna_link + "act/", {"action": "sign", "method": "typed", "typed": "Anna", "consent": "1"})
    # Anna has signed and Bo is invited; Cecilia's turn has not come.
    committed(envelope_void, envelope=envelope, actor=None, reason="The price was wrong")

    for address in ("anna@example.com", "bo@example.com"):
        (notice,) = voided_mails(address)
        assert notice.subject == "Cancelled: Lease"
        assert "“The price was wrong”" in notice.body and "no longer opens it" in notice.body
    assert voided_mails("cecilia@example.com") == []

    page = client.get(links_for("bo@example.com")[0])
    assert page.status_code == 410
    assert "The sender cancelled it: “The price was wrong”" in page.content.decode()


def test_voiding_again_or_a_repeated_provider_call_sends_nothing_more(send_builtin, committed):
    envelope = send_builtin([ANNA])
    committed(envelope_void, envelope=envelope, actor=None, reason="Wrong client")
    # The provider is asked a second time (a retried call, a second click racing the first).
    committed(provider_class("builtin")().void, envelope.remote_id, "Wrong client")
    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.VOIDED
    assert len(voided_mails("anna@example.com")) == 1


@pytest.mark.parametrize("provider", [BuiltinProvider, FormifyProvider])
def test_the_void_form_says_what_the_provider_tells_the_participants(member_client, make_envelope, provider):
    client, membership = member_client()
    envelope = make_envelope(org=membership.org, status=EnvelopeStatus.SENT, provider=provider.id)
    page = client.get(reverse("envelope_detail", args=[envelope.pk])).content.decode()
    assert provider.void_notice in page
    assert "Participants are told the envelope was voided and why" not in page
