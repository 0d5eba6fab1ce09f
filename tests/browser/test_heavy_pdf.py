"""A page built to exhaust the renderer: the sender still composes, and the preview says the page
is too complex to show instead of costing the server its memory."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from envelopes.models import Document
from portal.models import Role
from tests.browser.conftest import compose_add_participant, compose_start
from tests.conftest import PASSWORD
from tests.envelopes.pdfs import make_inflating_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_page_too_complex_to_draw_is_previewed_as_such(
    live_server, page, console_errors, make_member, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    member = make_member(role=Role.SENDER)
    heavy = tmp_path / "heavy.pdf"
    heavy.write_bytes(make_inflating_pdf(300))  # 306 KB whose page inflates to 300 MB

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    compose_start(page, "Heavy contract", heavy)
    expect(page.locator("#documents").get_by_text("1 page")).to_be_visible()
    compose_add_participant(page, "Anna Andersson", "anna@example.com")

    page.get_by_role("button", name="Edit Anna Andersson").click()
    placement = page.locator("fieldset.placement")
    placement.get_by_label("Signature placement").select_option(label="heavy.pdf")
    preview = placement.locator("[data-page-image]")
    expect(preview).to_be_visible()
    # The picture that came back is the page's shape, saying it is too complex to show; its size
    # in points still comes along, so a click on it still places the signature.
    expect(preview).to_have_attribute("data-page-size", "595x842")
    assert preview.evaluate("image => image.naturalWidth") == 600
    preview.click(position={"x": 100, "y": 100})
    expect(placement.get_by_label("From left (pt)")).not_to_have_value("")
    placement.screenshot(path=str(tmp_path / "too-complex-preview.png"))

    document = Document.objects.get(name="heavy.pdf")
    response = page.request.get(live_server.url + f"/envelopes/documents/{document.pk}/pages/1.png?width=600")
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    # Not the page drawn (it is blank: all white) but the grey notice with its sentence.
    assert Image.open(io.BytesIO(response.body())).convert("L").getextrema() != (255, 255)
    assert console_errors == []
