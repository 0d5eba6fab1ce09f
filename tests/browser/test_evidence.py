"""An auditor matches the sealed certificate's audit trail head with the envelope page: the
Completed entry says which event the seal covers and shows its hash."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django_q.conf import Conf
from playwright.sync_api import expect

from envelopes.composing.participants import participant_add
from envelopes.services import envelope_create, envelope_send
from portal.models import Role
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LINK = re.compile(r"https?://[^/\s]+(/sign/[\w-]+/)")


def test_the_envelope_page_marks_the_event_the_certificate_was_sealed_at(
    live_server, page, browser, console_errors, make_member, make_document, monkeypatch, settings, tmp_path
):
    monkeypatch.setattr(Conf, "SYNC", True)  # sending and sealing run as soon as they are queued
    settings.MEDIA_ROOT = tmp_path / "media"
    member = make_member(role=Role.SENDER)
    envelope = envelope_create(org=member.org, actor=member.user, title="Service contract")
    make_document(envelope, pages=1)
    participant_add(envelope=envelope, name="Anna Andersson", email="anna@example.com")
    envelope_send(envelope=envelope, actor=member.user)
    link = LINK.search(next(m.body for m in mail.outbox if "anna@example.com" in m.to)).group(1)

    anna = browser.new_context().new_page()
    anna.goto(live_server.url + link)
    anna.get_by_label("I agree").check()
    anna.get_by_role("button", name="Sign", exact=True).click()
    expect(anna.get_by_text("Thank you, Anna Andersson")).to_be_visible()

    envelope.refresh_from_db()
    signed = envelope.events.get(kind="participant.signed")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(live_server.url + f"/envelopes/{envelope.pk}/")
    marker = page.locator(".trail-seal")
    expect(marker).to_have_count(1)
    expect(marker).to_contain_text("sealed at event “Signed” (participant.signed)")
    expect(marker).to_contain_text(signed.hash)
    page.screenshot(path=str(tmp_path / "sealed-marker.png"), full_page=True)
    assert console_errors == []
