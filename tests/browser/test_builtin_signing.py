"""The sender sends to two signers in order; each signs in a browser of their own (one types,
one draws); the sender downloads the sealed PDF and it verifies."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django_q.conf import Conf
from playwright.sync_api import expect

from portal.models import Role
from tests.browser.conftest import compose_add_participant, compose_start
from tests.conftest import PASSWORD
from tests.envelopes.pdfs import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LINK = re.compile(r"https?://[^/\s]+(/sign/[\w-]+/)")


def link_for(email: str) -> str:
    return next(LINK.search(m.body).group(1) for m in reversed(mail.outbox) if email in m.to and LINK.search(m.body))


def test_send_sign_twice_and_download_the_sealed_pdf(
    live_server, page, browser, console_errors, make_member, monkeypatch, settings, tmp_path
):
    from providers.builtin.sealing import verify_sealed_pdf

    monkeypatch.setattr(Conf, "SYNC", True)  # the worker's tasks run as soon as they are queued
    settings.MEDIA_ROOT = tmp_path / "media"
    member = make_member(role=Role.SENDER)
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(make_pdf(2))

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    compose_start(page, "Service contract", contract)
    compose_add_participant(page, "Anna Andersson", "anna@example.com")
    compose_add_participant(page, "Bo Berg", "bo@example.com")
    page.get_by_text("One after another").click()
    expect(page.locator("#participants .order-badge")).to_have_text(["1", "2"])
    expect(page.locator("#summary")).to_contain_text("Anna Andersson signs first, then Bo Berg signs.")
    page.get_by_role("button", name="Send for signature").click()
    expect(page.get_by_text("Awaiting signatures").first).to_be_visible()

    # Anna types her signature.
    anna = browser.new_context().new_page()
    anna.goto(live_server.url + link_for("anna@example.com"))
    expect(anna.get_by_role("heading", name="Service contract")).to_be_visible()
    expect(anna.get_by_alt_text("contract.pdf, page 1")).to_be_visible()
    anna.get_by_label("I agree").check()
    anna.get_by_role("button", name="Sign", exact=True).click()
    expect(anna.get_by_text("Thank you, Anna Andersson")).to_be_visible()

    # Then Bo draws his.
    bo = browser.new_context().new_page()
    bo.goto(live_server.url + link_for("bo@example.com"))
    bo.get_by_text("Draw it").click()
    pad = bo.locator("canvas[data-signature-pad]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    bo.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    bo.mouse.down()
    for step in range(1, 12):
        bo.mouse.move(box["x"] + 20 + step * 25, box["y"] + box["height"] / 2 + (15 if step % 2 else -15))
    bo.mouse.up()
    bo.get_by_label("I agree").check()
    bo.get_by_role("button", name="Sign", exact=True).click()
    expect(bo.get_by_text("Thank you, Bo Berg")).to_be_visible()

    # The sender finds it completed and downloads the sealed PDF.
    page.reload()
    expect(page.get_by_text("Completed").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download signed PDF").click()
    sealed = download.value.path().read_bytes()
    # pyHanko validates with its own event loop; Playwright's is running in this thread.
    with ThreadPoolExecutor(1) as pool:
        verdict = pool.submit(verify_sealed_pdf, sealed).result()
    assert verdict.sealed and verdict.intact and verdict.by_this_instance
    assert console_errors == []
