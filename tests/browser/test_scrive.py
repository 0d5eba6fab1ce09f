"""An admin connects a Scrive account by pasting its personal access credentials, a sender sends
an envelope through it, and the signatures made at Scrive appear on the open envelope page
without a reload; the sealed PDF is offered."""

from __future__ import annotations

import pytest
from django_q.conf import Conf
from playwright.sync_api import expect

from envelopes.models import Envelope
from portal.models import Role
from tests.browser.conftest import compose_add_participant, compose_start
from tests.browser.test_formify import sign_in
from tests.envelopes.pdfs import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LABELS = {
    "client_key": "Client credentials identifier (apitoken)",
    "client_secret": "Client credentials secret (apisecret)",
    "token_key": "Token credentials identifier (accesstoken)",
    "token_secret": "Token credentials secret (accesssecret)",
}


def test_paste_scrive_credentials_send_and_watch_the_signatures_arrive(
    live_server, page, console_errors, fake_scrive, make_member, monkeypatch, settings, tmp_path
):
    monkeypatch.setattr(Conf, "SYNC", True)
    settings.SITE_URL = live_server.url  # callbacks from the fake reach this live server
    settings.MEDIA_ROOT = tmp_path / "media"
    admin = make_member(role=Role.ADMIN)
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(make_pdf(1))

    sign_in(page, live_server, admin.user.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    scrive = page.locator("[data-provider=scrive]")
    scrive.get_by_label("Name").fill("Scrive Legal")
    wrong = {**fake_scrive.personal, "token_secret": "not-it"}
    for name, label in LABELS.items():
        scrive.get_by_label(label).fill(wrong[name])
    scrive.get_by_role("button", name="Connect").click()
    expect(page.get_by_text("Scrive did not accept these credentials")).to_be_visible()
    page.screenshot(path=str(tmp_path / "refused.png"))

    scrive = page.locator("[data-provider=scrive]")
    scrive.get_by_label("Name").fill("Scrive Legal")
    for name, label in LABELS.items():
        scrive.get_by_label(label).fill(fake_scrive.personal[name])
    scrive.get_by_role("button", name="Connect").click()
    expect(scrive.get_by_text("Connected", exact=True)).to_be_visible()
    page.screenshot(path=str(tmp_path / "connected.png"), full_page=True)

    compose_start(page, "Rental agreement", contract, send_with="Scrive — Scrive Legal")
    compose_add_participant(page, "Anna Andersson", "anna@example.com")
    compose_add_participant(page, "Bo Berg", "bo@example.com")
    page.get_by_role("button", name="Send for signature").click()
    expect(page.get_by_text("Awaiting signatures").first).to_be_visible()

    envelope = Envelope.objects.get()
    fake_scrive.deliver_pending()  # the callback for "pending", made after the start call answered
    for email in ("anna@example.com", "bo@example.com"):
        fake_scrive.sign(envelope.remote_id, fake_scrive.signatory_id(envelope.remote_id, email))
    expect(page.get_by_text("Completed").first).to_be_visible(timeout=15_000)
    expect(page.get_by_role("link", name="Download signed PDF")).to_be_visible()
    page.screenshot(path=str(tmp_path / "completed.png"), full_page=True)
    assert console_errors == []
