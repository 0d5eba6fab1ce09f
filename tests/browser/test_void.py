"""The sender voids an envelope out for signature; the invited signer is told why, once, by
e-mail and on their signing link."""

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
REASON = "The price on page 2 was wrong"


def test_voiding_tells_the_invited_signer_why_by_email_and_on_their_link(
    live_server, page, browser, console_errors, make_member, make_document, monkeypatch, settings, tmp_path
):
    monkeypatch.setattr(Conf, "SYNC", True)  # the send task runs as soon as it is queued
    settings.MEDIA_ROOT = tmp_path / "media"
    member = make_member(role=Role.SENDER)
    envelope = envelope_create(org=member.org, actor=member.user, title="Service contract")
    make_document(envelope, pages=1)
    participant_add(envelope=envelope, name="Anna Andersson", email="anna@example.com")
    envelope_send(envelope=envelope, actor=member.user)
    (invitation,) = [m for m in mail.outbox if "anna@example.com" in m.to]
    link = LINK.search(invitation.body).group(1)

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(live_server.url + f"/envelopes/{envelope.pk}/")
    expect(page.get_by_text("Everyone already invited gets an e-mail")).to_be_visible()
    page.get_by_label("Reason for voiding").fill(REASON)
    page.get_by_role("button", name="Void envelope").click()
    expect(page.get_by_text("The envelope was voided")).to_be_visible()
    page.screenshot(path=str(tmp_path / "voided-sender.png"), full_page=True)

    notices = [m for m in mail.outbox if "anna@example.com" in m.to and m.subject == "Cancelled: Service contract"]
    assert len(notices) == 1 and f"“{REASON}”" in notices[0].body

    anna = browser.new_context().new_page()
    anna.goto(live_server.url + link)
    expect(anna.get_by_role("alert")).to_contain_text(f"The sender cancelled it: “{REASON}”")
    anna.screenshot(path=str(tmp_path / "voided-signer.png"), full_page=True)
    assert console_errors == []
