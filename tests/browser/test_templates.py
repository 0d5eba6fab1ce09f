"""A sender saves an envelope with signature placements as a template, renames its roles to
what they are ("Client", "Witness"), and starts a new envelope from it: the documents, the roles
and where each one signs come along."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from envelopes.composing.participants import participant_add, participant_place
from envelopes.models import Envelope, SignatureField
from envelopes.services import envelope_create
from portal.models import Role
from tests.browser.conftest import expect_whole_portal_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_template_keeps_placements_and_renamed_roles(
    live_server, page, console_errors, make_member, make_document, fake_providers
):
    sender = make_member(role=Role.SENDER)
    envelope = envelope_create(org=sender.org, actor=sender.user, title="Lease", provider="memory")
    contract = make_document(envelope, pages=3, name="contract.pdf")
    anna = participant_add(envelope=envelope, name="Anna Andersson", email="anna@example.com")
    bo = participant_add(envelope=envelope, name="Bo Berg", email="bo@example.com")
    participant_place(participant=anna, document=contract, page=2, x=40, y=100)
    participant_place(participant=bo, document=contract, page=3, x=300, y=80)
    sign_in(page, live_server, sender)

    page.goto(f"{live_server.url}/envelopes/{envelope.pk}/")
    page.get_by_label("Template name").fill("Standard lease")
    page.get_by_role("button", name="Save as template").click()
    expect(page.get_by_role("heading", name="Standard lease")).to_be_visible()
    roles = page.locator("#roles-heading + p + ol .person")
    expect(roles).to_have_count(2)
    expect(page.get_by_label("Name of the role Signer 1")).to_have_value("Signer 1")
    expect(page.get_by_text("Anna Andersson")).to_have_count(0)
    expect(page.get_by_text("Signs on page 2 of contract.pdf")).to_be_visible()

    # A blank name is refused by the role, and the page stays whole.
    page.get_by_label("Name of the role Signer 1").fill(" ")
    page.get_by_role("button", name="Rename Signer 1").click()
    expect(page.locator(".role-rename + .errorlist")).to_contain_text("This field is required.")
    expect_whole_portal_page(page)
    expect(roles).to_have_count(2)

    page.get_by_label("Name of the role Signer 1").fill("Client")
    page.get_by_role("button", name="Rename Signer 1").click()
    expect(page.get_by_text("The role is now called “Client”.")).to_be_visible()
    page.get_by_label("Name of the role Signer 2").fill("Witness")
    page.get_by_role("button", name="Rename Signer 2").click()
    expect(page.get_by_label("Name of the role Witness")).to_have_value("Witness")
    expect(roles.get_by_text("Signs on page 3 of contract.pdf")).to_be_visible()

    page.get_by_role("button", name="Use template").click()
    expect(page.get_by_text("Fill in who takes each role")).to_be_visible()
    people = page.locator("#participants .person")
    expect(people.locator("strong")).to_have_text(["Client", "Witness"])
    expect(people.filter(has_text="Client")).to_contain_text("Signs on page 2 of contract.pdf")
    expect(people.filter(has_text="Witness")).to_contain_text("Signs on page 3 of contract.pdf")
    expect(page.locator("#documents .doc-name a")).to_have_text(["contract.pdf"])
    expect_whole_portal_page(page)

    new = Envelope.objects.exclude(pk=envelope.pk).get()
    boxes = SignatureField.objects.filter(document__envelope=new).order_by("page")
    assert [(b.participant.name, b.page, b.x, b.y) for b in boxes] == [("Client", 2, 40, 100), ("Witness", 3, 300, 80)]
    assert [error for error in console_errors if "status of 400" not in error] == []
