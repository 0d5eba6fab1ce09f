"""Small things a newcomer trips over: the New envelope address, pages on a 390 px phone, the
signing page's consent error and decline confirmation, the seal check's long values, and the
compose page's Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django_q.conf import Conf
from playwright.sync_api import expect

from envelopes.composing.participants import participant_add, participant_place
from envelopes.models import Participant, Template
from envelopes.services import envelope_create, envelope_send
from portal.models import Role
from tests.browser.conftest import (
    click_and_wait_for_answer,
    compose_add_participant,
    compose_start,
    expect_whole_portal_page,
    sign_in,
)
from tests.envelopes.pdfs import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
LINK = re.compile(r"https?://[^/\s]+(/sign/[\w-]+/)")


def overflow(page) -> int:
    """How many pixels the page is wider than the screen (0 when nothing runs out sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def sent_with_paraph(make_member, make_document, monkeypatch, settings, tmp_path):
    """An envelope out for signature with Paraph signing; returns (sender membership, signing path)."""
    monkeypatch.setattr(Conf, "SYNC", True)
    settings.MEDIA_ROOT = tmp_path / "media"
    sender = make_member(role=Role.SENDER)
    envelope = envelope_create(org=sender.org, actor=sender.user, title="Tenancy agreement")
    contract = make_document(envelope, pages=2, name="tenancy.pdf")
    anna = participant_add(envelope=envelope, name="Anna Andersson", email="anna@example.com")
    participant_place(participant=anna, document=contract, page=2, x=60, y=120)
    envelope_send(envelope=envelope, actor=sender.user)
    link = next(LINK.search(m.body).group(1) for m in mail.outbox if "anna@example.com" in m.to)
    return sender, link


def test_new_envelope_address_leads_to_composing(live_server, page, console_errors, make_member):
    sender = make_member(role=Role.SENDER)
    Template.objects.create(org=sender.org, name="Standard lease", title="Lease")
    sign_in(page, live_server, sender)

    response = page.goto(live_server.url + "/envelopes/new/")
    assert response.status == 200
    expect(page.get_by_role("heading", name="New envelope")).to_be_visible()
    expect_whole_portal_page(page)
    page.get_by_role("button", name="Start composing").click()
    expect(page.get_by_role("heading", name="1. Title and settings")).to_be_visible()

    page.goto(live_server.url + "/envelopes/new/")
    page.get_by_role("button", name="Use the template Standard lease").click()
    expect(page.get_by_role("heading", name="Lease")).to_be_visible()
    assert console_errors == []


def test_dashboard_and_compose_fit_a_phone(live_server, page, console_errors, sent_with_paraph, tmp_path):
    sender, _ = sent_with_paraph
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, sender)

    page.goto(live_server.url + "/dashboard/")
    breakdown = page.locator("table.breakdown")
    expect(breakdown.get_by_role("columnheader", name="Awaiting")).to_be_visible()
    expect(breakdown.get_by_role("columnheader", name="Completed")).to_be_visible()
    expect(breakdown.get_by_role("rowheader", name="Paraph signing")).to_be_visible()
    assert overflow(page) <= 0

    pdf = tmp_path / "lease-agreement-for-the-flat-on-the-third-floor-2027.pdf"
    pdf.write_bytes(make_pdf(2))
    compose_start(page, "Lease for the flat on the third floor", pdf)
    compose_add_participant(page, "Anna Andersson", "anna.andersson@a-long-company-name.example.com")
    assert overflow(page) <= 0
    page.get_by_role("button", name="Edit Anna Andersson").click()
    expect(page.locator("fieldset.placement")).to_be_visible()
    assert overflow(page) <= 0
    assert console_errors == []


def test_signing_page_on_a_phone(live_server, page, console_errors, sent_with_paraph):
    _, link = sent_with_paraph
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + link)
    assert overflow(page) <= 0

    # Sign without ticking the consent box: the reason is shown by the box, on screen.
    for _ in range(2):
        click_and_wait_for_answer(page, page.get_by_role("button", name="Sign", exact=True))
        error = page.get_by_role("alert")
        expect(error).to_have_text("Tick the box to agree to sign electronically.")
        expect(error).to_be_in_viewport()
        consent = page.get_by_label("I agree")
        expect(consent).to_be_in_viewport()
        # Both measured at once, in page coordinates, so a scroll in between cannot skew the gap.
        gap = page.evaluate(
            "document.getElementById('consent').getBoundingClientRect().top"
            " - document.getElementById('sign-error').getBoundingClientRect().top"
        )
        assert 0 < gap < 150
    assert overflow(page) <= 0

    # Decline: the confirmation does not promise a signed document.
    page.get_by_text("Decline instead").click()
    page.get_by_label("Why do you decline?").fill("The rent is wrong.")
    page.get_by_role("button", name="Decline", exact=True).click()
    expect(page.get_by_text("You declined: “The rent is wrong.”")).to_be_visible()
    expect(page.get_by_text("there will be no signed document")).to_be_visible()
    expect(page.get_by_text("you will receive the signed document")).to_have_count(0)
    assert overflow(page) <= 0
    assert [error for error in console_errors if "status of 400" not in error] == []


def test_seal_check_keeps_long_values_inside_the_card(live_server, page, console_errors, tmp_path, monkeypatch):
    from providers.builtin import verify_views

    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(make_pdf(1))
    long_subject = "CN=Paraph seal of " + "Example Holding International Subsidiary " * 3 + ",O=Example,C=SE"
    original = verify_views.verify_sealed_pdf

    def with_long_subject(data):
        from dataclasses import replace

        return replace(original(data), signer_subject=long_subject)

    monkeypatch.setattr(verify_views, "verify_sealed_pdf", with_long_subject)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/verify/")
    page.get_by_label("PDF to check").set_input_files(str(pdf))
    page.get_by_role("button", name="Check this PDF").click()
    card = page.locator("section", has=page.get_by_role("heading", level=2))
    expect(card.locator("code")).to_be_visible()
    box = card.bounding_box()
    for value in (card.locator("code"), card.get_by_text(long_subject)):
        inner = value.bounding_box()
        assert box["x"] <= inner["x"] and inner["x"] + inner["width"] <= box["x"] + box["width"]
    assert overflow(page) <= 0


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_compose_uploads_break_no_content_security_rule(
    debug, settings, live_server, page, console_errors, make_member, tmp_path
):
    settings.DEBUG = debug
    page.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    sender = make_member(role=Role.SENDER)
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    first.write_bytes(make_pdf(1))
    second.write_bytes(make_pdf(3))
    sign_in(page, live_server, sender)
    compose_start(page, "Two uploads", first)
    page.locator("#upload-files").set_input_files(str(second))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#documents .doc-name a")).to_have_text(["first.pdf", "second.pdf"])
    page.get_by_role("button", name="Move second.pdf up").click()
    expect(page.locator("#documents .doc-name a")).to_have_text(["second.pdf", "first.pdf"])
    compose_add_participant(page, "Anna Andersson", "anna@example.com")
    page.get_by_role("button", name="Edit Anna Andersson").click()
    placement = page.locator("fieldset.placement")
    placement.get_by_label("Signature placement").select_option(label="second.pdf")
    placement.get_by_label("Page").fill("2")
    placement.get_by_label("Page").dispatch_event("change")
    placement.locator("[data-page-image]").click(position={"x": 60, "y": 80})
    expect(placement.locator(".sig-marker")).to_be_visible()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Signs on page 2 of second.pdf")).to_be_visible()
    assert page.evaluate("window.cspViolations") == []
    assert console_errors == []


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_a_failed_request_on_compose_keeps_the_page_and_breaks_no_content_security_rule(
    debug, settings, live_server, page, console_errors, make_member, tmp_path
):
    settings.DEBUG = debug
    page.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    sender = make_member(role=Role.SENDER)
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(make_pdf(1))
    sign_in(page, live_server, sender)
    compose_start(page, "Lease", pdf)
    compose_add_participant(page, "Anna Andersson", "anna@example.com")

    # Someone removes Anna in another tab; Edit here now meets a 404.
    Participant.objects.filter(name="Anna Andersson").delete()
    page.get_by_role("button", name="Edit Anna Andersson").click()
    expect(page.locator(".toast")).to_contain_text("That is no longer there; reload the page")
    expect_whole_portal_page(page)
    expect(page.locator("#documents").get_by_text("contract.pdf")).to_be_visible()
    expect(page.locator("#summary")).to_contain_text("What will happen")
    assert page.evaluate("window.cspViolations") == []
    # The browser and htmx log the 404 itself; nothing else may be logged.
    assert [error for error in console_errors if "404" not in error] == []
