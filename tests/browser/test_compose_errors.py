"""Wrong input in a section of the compose page shows its error in that section; the top bar,
the documents, the participants and the summary stay where they were. Checked with DEBUG on (as
under `make run`, where the development error page takes over failed htmx requests) and off."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from envelopes.models import Envelope
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


def expect_compose_page_intact(page, document: str) -> None:
    expect_whole_portal_page(page)
    expect(page.locator("#settings")).to_have_count(1)
    expect(page.locator("#documents").get_by_text(document)).to_be_visible()
    expect(page.locator("#participants")).to_have_count(1)
    expect(page.locator("#summary")).to_contain_text("What will happen")


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_compose_errors_stay_in_their_section(
    debug, settings, live_server, page, console_errors, make_member, fake_providers, tmp_path
):
    settings.DEBUG = debug
    member = make_member(role=Role.SENDER)
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(make_pdf(2))
    sign_in(page, live_server, member)
    compose_start(page, "Lease", pdf, send_with="Memory Sign")

    # A past expiry date: the settings section says so, twice in a row.
    settings_section = page.locator("#settings")
    expiry = Envelope.objects.get().expires_at
    for _ in range(2):
        page.get_by_label("Expires on").fill("2020-01-01")
        click_and_wait_for_answer(page, page.get_by_role("button", name="Save settings"))
        expect(settings_section.locator(".errorlist")).to_be_visible()
        expect_compose_page_intact(page, "contract.pdf")
    assert Envelope.objects.get().expires_at == expiry

    # An invalid address when adding someone: the form keeps what was typed and says why.
    compose_add_participant(page, "Anna Andersson", "anna@example.com")
    details = page.locator("details.add-person")
    details.locator("summary").click()
    page.get_by_label("Name").fill("Bo Berg")
    page.get_by_label("E-mail", exact=True).fill("bo@example")
    for _ in range(2):
        click_and_wait_for_answer(page, page.get_by_role("button", name="Add participant"))
        expect(page.locator("#participants").get_by_text("Enter a valid email address.")).to_be_visible()
        expect_compose_page_intact(page, "contract.pdf")
    expect(page.get_by_label("Name")).to_have_value("Bo Berg")

    # An invalid address in Anna's edit form: the error shows in her row, nothing else moves.
    people = page.locator("#participants .person")
    page.get_by_role("button", name="Edit Anna Andersson").click()
    page.locator(".person-editing").get_by_label("E-mail", exact=True).fill("anna@")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".person-editing").get_by_text("Enter a valid email address.")).to_be_visible()
    expect_compose_page_intact(page, "contract.pdf")
    page.locator(".person-editing").get_by_label("E-mail", exact=True).fill("anna@example.org")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(people.get_by_text("anna@example.org")).to_be_visible()

    # Edit → save → edit → save: one Participants section, Anna once, one "Add a participant".
    page.get_by_role("button", name="Edit Anna Andersson").click()
    page.locator(".person-editing").get_by_label("Name").fill("Anna Lind")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(people.get_by_text("Anna Lind")).to_be_visible()
    page.get_by_role("button", name="Edit Anna Lind").click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".person-editing")).to_have_count(0)
    expect(page.locator("#participants")).to_have_count(1)
    expect(page.locator("#participants #participants")).to_have_count(0)
    expect(people).to_have_count(1)
    expect(page.locator("#participants").get_by_text("Anna Lind")).to_have_count(1)
    expect(page.get_by_text("Add a participant")).to_have_count(1)
    expect_compose_page_intact(page, "contract.pdf")

    page.reload()
    expect(people).to_have_count(1)
    # The browser logs each 422 answer as a failed load; anything else (a CSP violation, a script
    # error) is a defect.
    assert [error for error in console_errors if "status of 422" not in error] == []
