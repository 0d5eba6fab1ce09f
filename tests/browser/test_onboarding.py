"""What a person does on their first day: sign up, create an organization, invite a colleague,
and switch between organizations."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from portal.models import Membership, Role
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_up(page, base: str, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()


def test_sign_up_create_org_invite_and_switch(live_server, page, browser, console_errors, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    base = live_server.url

    # Alice signs up and creates her organization.
    page.goto(base + "/")
    page.get_by_role("link", name="Create account").first.click()
    sign_up(page, base, "alice@example.com")
    expect(page.get_by_role("heading", name="Welcome to Paraph")).to_be_visible()
    page.get_by_label("Organization name").fill("Acme Ltd")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_text("Acme Ltd is ready")).to_be_visible()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # She invites Bob as a sender.
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("E-mail address").fill("bob@example.com")
    page.get_by_label("Role", exact=True).select_option("sender")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to bob@example.com.")).to_be_visible()
    expect(page.get_by_role("cell", name="bob@example.com", exact=True)).to_be_visible()

    # Bob opens the e-mailed link in his own browser, creates his account and joins.
    link = re.search(r"https?://\S+(/invitations/\S+/)", mail.outbox[-1].body).group(1)
    bob = browser.new_context().new_page()
    bob.goto(base + link)
    expect(bob.get_by_role("heading", name="Join Acme Ltd")).to_be_visible()
    bob.get_by_role("link", name="Create account").last.click()
    sign_up(bob, base, "bob@example.com")
    bob.get_by_role("button", name="Accept and join Acme Ltd").click()
    expect(bob.get_by_text("Welcome to Acme Ltd.")).to_be_visible()
    assert Membership.objects.get(user__email="bob@example.com").role == Role.SENDER

    # Alice makes Bob an admin in place: the row updates without a page load.
    page.reload()
    bob_role = page.get_by_label("Role of bob@example.com")
    page.evaluate("window.__marker = 'same page'")
    bob_role.select_option("admin")
    expect(page.locator("tr", has_text="bob@example.com").get_by_text("Saved")).to_be_visible()
    assert page.evaluate("window.__marker") == "same page"
    assert Membership.objects.get(user__email="bob@example.com").role == Role.ADMIN

    # Alice starts a second organization, then switches back with the organization switcher.
    switcher = page.locator(".org-switcher > summary")
    switcher.click()
    page.get_by_role("link", name="+ New organization").click()
    page.get_by_label("Organization name").fill("Beta Labs")
    page.get_by_role("button", name="Create organization").click()
    expect(page.locator(".eyebrow")).to_have_text("Beta Labs")
    expect(switcher).to_have_attribute("aria-label", re.compile("Organization: Beta Labs"))
    switcher.click()
    page.get_by_role("button", name=re.compile("^Acme Ltd")).click()
    expect(page.get_by_text("Now working in Acme Ltd.")).to_be_visible()
    expect(page.locator(".eyebrow")).to_have_text("Acme Ltd")

    assert console_errors == []
