"""An admin connects a Formify account in the browser (OAuth through the fake's consent page),
a sender sends through it, and signatures made at Formify appear on the open envelope page
without a reload."""

from __future__ import annotations

import pytest
from django_q.conf import Conf
from playwright.sync_api import expect

from envelopes.models import Envelope
from portal.models import Role
from tests.browser.conftest import compose_add_participant, compose_start
from tests.conftest import PASSWORD
from tests.envelopes.pdfs import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, email: str) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_connect_formify_send_and_watch_the_signatures_arrive(
    live_server, page, console_errors, fake_formify, make_member, monkeypatch, settings, tmp_path
):
    monkeypatch.setattr(Conf, "SYNC", True)  # the worker's tasks run as soon as they are queued
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks plain HTTP
    settings.SITE_URL = live_server.url  # webhooks from the fake reach this live server
    settings.MEDIA_ROOT = tmp_path / "media"
    admin = make_member(role=Role.ADMIN)
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(make_pdf(1))

    sign_in(page, live_server, admin.user.email)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    formify = page.locator("[data-provider=formify]")
    expect(formify.get_by_text("Not connected.")).to_be_visible()
    formify.get_by_label("Name").fill("Formify Sales")
    formify.get_by_role("button", name="Connect Formify account").click()
    # Formify's consent page (the fake approves at once) sends the browser back to Paraph.
    expect(page.get_by_text("Connected Formify Sales")).to_be_visible()
    expect(formify.get_by_text("Connected", exact=True)).to_be_visible()
    expect(formify.get_by_role("button", name="Test")).to_be_visible()

    compose_start(page, "Rental agreement", contract, send_with="Formify — Formify Sales")
    compose_add_participant(page, "Anna Andersson", "anna@example.com")
    compose_add_participant(page, "Bo Berg", "bo@example.com")
    page.get_by_role("button", name="Send for signature").click()
    expect(page.get_by_text("Awaiting signatures").first).to_be_visible()

    envelope = Envelope.objects.get()
    assert envelope.remote_id in fake_formify.documents
    for email in ("anna@example.com", "bo@example.com"):
        fake_formify.sign(envelope.remote_id, fake_formify.signee_id(envelope.remote_id, email))
    # The page was not reloaded: it polls while the envelope is out for signature.
    expect(page.get_by_text("Completed").first).to_be_visible(timeout=15_000)
    expect(page.get_by_role("link", name="Download signed PDF")).to_be_visible()
    assert console_errors == []
