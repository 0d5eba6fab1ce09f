"""An admin connects an EasyInk account in the browser (OAuth with PKCE through the fake's sign-in
page), a sender sends a three-person sequential envelope through it, and the signatures made at
EasyInk appear on the open envelope page as the poller reads them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.conf import Conf
from playwright.sync_api import expect

from envelopes.incoming.polling import envelopes_sync_due
from envelopes.models import Envelope, SignatureField
from portal.models import Role
from tests.browser.conftest import compose_add_participant, compose_start
from tests.conftest import PASSWORD
from tests.envelopes.pdfs import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PEOPLE = (("Anna Andersson", "anna@example.com"), ("Bo Berg", "bo@example.com"), ("Cleo Carr", "cleo@example.com"))


def sign_in(page, live_server, email: str) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_connect_easyink_send_in_order_and_watch_the_signatures_arrive(
    live_server, page, console_errors, fake_easyink, make_member, monkeypatch, settings, tmp_path
):
    monkeypatch.setattr(Conf, "SYNC", True)  # the worker's tasks run as soon as they are queued
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks plain HTTP
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    admin = make_member(role=Role.ADMIN)
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(make_pdf(1))

    sign_in(page, live_server, admin.user.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    easyink = page.locator("[data-provider=easyink]")
    expect(easyink.get_by_text("Not connected.")).to_be_visible()
    easyink.get_by_label("Name").fill("EasyInk Sales")
    easyink.get_by_role("button", name="Connect EasyInk account").click()
    expect(page.get_by_text("Connected EasyInk Sales")).to_be_visible()
    expect(easyink.get_by_text("Access ends")).to_be_visible()  # no refresh token: the end is shown
    page.screenshot(path=str(tmp_path / "easyink-connected.png"), full_page=True)

    compose_start(page, "Rental agreement", contract, send_with="EasyInk — EasyInk Sales")
    for name, email in PEOPLE:
        compose_add_participant(page, name, email)
    envelope = Envelope.objects.get()
    document = envelope.documents.get()
    for order, person in enumerate(envelope.participants.order_by("position"), start=1):
        # One by one, each with a signature box on the page (placed here rather than dragged).
        type(person).objects.filter(pk=person.pk).update(order=order)
        SignatureField.objects.create(document=document, participant=person, page=1, x=72, y=72 * order)
    page.reload()
    page.get_by_role("button", name="Send for signature").click()
    expect(page.get_by_text("Awaiting signatures").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "easyink-sent.png"), full_page=True)

    envelope.refresh_from_db()
    session = fake_easyink.sessions[envelope.remote_id]
    assert session["order"]["type"] == "OneByOne" and len(session["fields"]) == 3
    for person in envelope.participants.order_by("order"):
        fake_easyink.sign(envelope.remote_id, person.remote_id)
        Envelope.objects.filter(pk=envelope.pk).update(next_sync_at=timezone.now() - timedelta(seconds=1))
        envelopes_sync_due()  # the poller's round
    expect(page.get_by_text("Completed").first).to_be_visible(timeout=15_000)
    expect(page.get_by_role("link", name="Download signed PDF")).to_be_visible()
    page.screenshot(path=str(tmp_path / "easyink-completed.png"), full_page=True)
    assert console_errors == []
