"""A sender composes an envelope with two PDFs and three participants signing one after
another, leaves, comes back and finds everything as entered."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models import Role
from tests.browser.conftest import compose_add_participant
from tests.conftest import PASSWORD
from tests.envelopes.pdfs import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_compose_save_and_reopen(live_server, page, console_errors, make_member, fake_providers, tmp_path):
    member = make_member(role=Role.SENDER)
    org_name = member.org.name
    first, second = tmp_path / "agreement.pdf", tmp_path / "appendix.pdf"
    first.write_bytes(make_pdf(2))
    second.write_bytes(make_pdf(3))

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text(org_name).first).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Envelopes").click()
    page.get_by_role("button", name="New envelope").click()
    page.get_by_label("Title", exact=True).fill("Supply agreement")
    page.get_by_label("Send with").select_option("memory")
    page.get_by_label("Message to participants").fill("Please sign by Friday.")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings").get_by_text("Saved")).to_be_visible()

    page.locator("#upload-files").set_input_files([str(first), str(second)])
    page.get_by_role("button", name="Upload", exact=True).click()
    documents = page.locator("#documents")
    expect(documents.get_by_text("agreement.pdf")).to_be_visible()
    expect(documents.get_by_text("appendix.pdf")).to_be_visible()
    expect(documents.get_by_text("3 pages")).to_be_visible()

    compose_add_participant(page, "Anna Andersson", "anna@example.com")
    compose_add_participant(page, "Bo Berg", "bo@example.com")
    compose_add_participant(page, "Cecilia Carlsson", "cecilia@example.com")
    page.get_by_text("One after another").click()
    expect(page.locator("#participants .order-badge")).to_have_text(["1", "2", "3"])

    # Anna signs on page 2 of the agreement, where the sender clicks on the page preview.
    page.get_by_role("button", name="Edit Anna Andersson").click()
    placement = page.locator("fieldset.placement")
    placement.get_by_label("Signature placement").select_option(label="agreement.pdf")
    placement.get_by_label("Page").fill("2")
    placement.get_by_label("Page").dispatch_event("change")
    preview = placement.locator("[data-page-image]")
    expect(preview).to_be_visible()
    preview.click(position={"x": 60, "y": 80})
    expect(placement.get_by_label("From left (pt)")).not_to_have_value("")
    expect(placement.locator(".sig-marker")).to_be_visible()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Signs on page 2 of agreement.pdf")).to_be_visible()
    summary = "Anna Andersson signs first, then Bo Berg signs, then Cecilia Carlsson signs."
    expect(page.locator("#summary")).to_contain_text(summary)
    expect(page.locator("#summary")).to_contain_text("Ready to send.")

    # Leave, find it in the list, and reopen it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Envelopes").click()
    row = page.locator("tr", has_text="Supply agreement")
    expect(row.get_by_text("Draft")).to_be_visible()
    row.get_by_role("link", name="Supply agreement").click()

    expect(page.get_by_label("Title", exact=True)).to_have_value("Supply agreement")
    expect(page.get_by_label("Message to participants")).to_have_value("Please sign by Friday.")
    expect(page.get_by_label("Send with")).to_have_value("memory")
    names = page.locator("#documents .doc-name a")
    expect(names).to_have_text(["agreement.pdf", "appendix.pdf"])
    people = page.locator("#participants .person")
    expect(people).to_have_count(3)
    expect(people.locator(".order-badge")).to_have_text(["1", "2", "3"])
    expect(people.locator("strong")).to_have_text(["Anna Andersson", "Bo Berg", "Cecilia Carlsson"])
    expect(page.locator("#mode-sequential")).to_be_checked()
    expect(page.get_by_text("Signs on page 2 of agreement.pdf")).to_be_visible()
    expect(page.locator("#summary")).to_contain_text(summary)

    assert console_errors == []
