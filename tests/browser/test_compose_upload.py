"""Uploading on the compose page is one flow: choose (or drop) files, pick what they are added
as, click Upload. A refused file is named with the reason, and the next upload works."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from envelopes.models import Document
from portal.models import Role
from tests.browser.conftest import expect_whole_portal_page, sign_in
from tests.envelopes.pdfs import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_wrong_file_then_right_one(live_server, page, console_errors, make_member, tmp_path):
    member = make_member(role=Role.SENDER)
    letter, contract, terms = tmp_path / "letter.docx", tmp_path / "contract.pdf", tmp_path / "terms.pdf"
    letter.write_bytes(b"PK\x03\x04 a word-processor file, not a PDF")
    contract.write_bytes(make_pdf(2))
    terms.write_bytes(make_pdf(1))
    sign_in(page, live_server, member)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Envelopes").click()
    page.get_by_role("button", name="New envelope").click()
    documents = page.locator("#documents")
    upload = page.get_by_role("button", name="Upload", exact=True)

    # Choosing a file does not send it by itself.
    page.locator("#upload-files").set_input_files(str(letter))
    expect(documents.get_by_text("No documents yet.")).to_be_visible()
    expect(documents.get_by_role("alert")).to_have_count(0)

    # Upload sends what was chosen; the reason it was refused stays on screen.
    upload.click()
    expect(documents.get_by_role("alert")).to_contain_text("“letter.docx” is not a PDF.")
    expect(documents.get_by_text("Choose one or more PDF files")).to_have_count(0)
    expect_whole_portal_page(page)

    page.locator("#upload-files").set_input_files(str(contract))
    upload.click()
    expect(documents.locator(".doc-name a")).to_have_text(["contract.pdf"])
    expect(documents.get_by_role("alert")).to_have_count(0)

    # "Add as" can be changed after choosing the file.
    page.locator("#upload-files").set_input_files(str(terms))
    page.get_by_label("Add as").select_option(label="Attachments to read and acknowledge")
    upload.click()
    expect(documents.locator(".doc-name a")).to_have_text(["contract.pdf", "terms.pdf"])
    expect(documents.locator(".doc-row", has_text="terms.pdf").get_by_text("attachment to read")).to_be_visible()
    assert list(Document.objects.order_by("position").values_list("name", "kind")) == [
        ("contract.pdf", "sign"),
        ("terms.pdf", "attachment"),
    ]

    # Upload with nothing chosen says what to do, and loses nothing.
    upload.click()
    expect(documents.get_by_role("alert")).to_contain_text("Choose one or more PDF files to upload.")
    expect(documents.locator(".doc-name a")).to_have_text(["contract.pdf", "terms.pdf"])
    expect(page.locator("#summary")).to_contain_text("2 documents")
    expect_whole_portal_page(page)
    assert console_errors == []
