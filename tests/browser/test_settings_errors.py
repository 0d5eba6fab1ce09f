"""Wrong input in the organization settings, the members table, the invitation form and a
template's page is answered in place: the error shows by the field or row, and the top bar and
the page's other sections stay. Checked with DEBUG on and off."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from envelopes.models import Template
from portal.models import Membership, Role
from tests.browser.conftest import click_and_wait_for_answer, expect_whole_portal_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect_settings_page_intact(page) -> None:
    expect_whole_portal_page(page)
    for heading in ("General", "Members", "Invite a colleague", "Pending invitations"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_settings_errors_stay_by_their_field(debug, settings, live_server, page, console_errors, make_member):
    settings.DEBUG = debug
    owner = make_member(role=Role.OWNER)
    Membership.objects.filter(org=owner.org).exclude(pk=owner.pk).delete()
    org_name = owner.org.name
    sign_in(page, live_server, owner)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()

    for _ in range(2):
        page.get_by_label("Organization name").fill("")
        click_and_wait_for_answer(page, page.get_by_role("button", name="Save settings"))
        general = page.locator("form").filter(has=page.get_by_label("Organization name"))
        expect(general.locator(".errorlist")).to_be_visible()
        expect_settings_page_intact(page)
    owner.org.refresh_from_db()
    assert owner.org.name == org_name

    # The only owner cannot make themself an admin; the row says why, in place, every time.
    role = page.get_by_label(f"Role of {owner.user.email}")
    for _ in range(2):
        with page.expect_response(lambda response: response.request.method == "POST"):
            role.select_option("admin")
        expect(page.locator(f"#member-{owner.pk}").get_by_text("at least one owner")).to_be_visible()
        expect_settings_page_intact(page)
    owner.refresh_from_db()
    assert owner.role == Role.OWNER

    for _ in range(2):
        page.get_by_label("E-mail address").fill("colleague@")
        click_and_wait_for_answer(page, page.get_by_role("button", name="Send invitation"))
        expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
        expect_settings_page_intact(page)
    expect(page.get_by_label("E-mail address")).to_have_value("colleague@")
    assert [error for error in console_errors if "status of 4" not in error] == []


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_template_errors_stay_by_their_field(debug, settings, live_server, page, console_errors, make_member):
    settings.DEBUG = debug
    sender = make_member(role=Role.SENDER)
    template = Template.objects.create(org=sender.org, name="Offer")
    sign_in(page, live_server, sender)
    page.goto(f"{live_server.url}/templates/{template.pk}/")

    def expect_template_page_intact():
        expect_whole_portal_page(page)
        for heading in ("Defaults", "Roles", "Documents", "Delete template"):
            expect(page.get_by_role("heading", name=heading)).to_be_visible()

    for _ in range(2):
        page.get_by_label("Name", exact=True).fill("")
        click_and_wait_for_answer(page, page.get_by_role("button", name="Save template"))
        expect(page.get_by_text("This field is required.")).to_be_visible()
        expect_template_page_intact()
    for _ in range(2):
        page.get_by_label("Role name").fill("")
        click_and_wait_for_answer(page, page.get_by_role("button", name="Add role"))
        expect(page.get_by_text("This field is required.")).to_be_visible()
        expect_template_page_intact()
    template.refresh_from_db()
    assert template.name == "Offer" and not template.roles.exists()
    assert [error for error in console_errors if "status of 4" not in error] == []
