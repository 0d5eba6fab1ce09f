"""A signer finishes while the sender looks at the dashboard and at the envelope: both pages show the
new status within seconds, without a reload, and the envelope page stops polling once nothing is
pending."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from envelopes.lifecycle.states import envelope_transition
from envelopes.models import EnvelopeStatus
from portal.models import Role
from tests.conftest import PASSWORD
from tests.envelopes.journeys import envelope_through

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WITHIN = 10_000  # ms: the promise for a change from a webhook or a signer


def test_status_changes_appear_without_a_reload(live_server, page, console_errors, make_member):
    member = make_member(role=Role.SENDER)
    lease = envelope_through(member.org, member.user, EnvelopeStatus.SENT, title="Lease")
    offer = envelope_through(member.org, member.user, EnvelopeStatus.SENT, title="Offer")

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    awaiting = page.locator('[data-card="sent"] .stat-value')
    completed = page.locator('[data-card="completed"] .stat-value')
    expect(awaiting).to_have_text("2")
    expect(completed).to_have_text("0")
    expect(page.locator("#trends figure.chart")).to_have_count(3)  # the charts arrive by themselves
    page.evaluate("window.notReloaded = true")

    # The signer signs; the provider's webhook (or the signing page) moves the envelope.
    envelope_transition(envelope=lease, to=EnvelopeStatus.COMPLETED, source="provider")
    expect(completed).to_have_text("1", timeout=WITHIN)
    expect(awaiting).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True

    page.goto(f"{live_server.url}/envelopes/{offer.pk}/")
    status = page.locator("#status-panel .status").first
    expect(status).to_have_text("Awaiting signatures")
    expect(page.locator("#detail-main")).to_have_attribute("hx-trigger", "every 5s")
    envelope_transition(envelope=offer, to=EnvelopeStatus.DECLINED, source="provider")
    expect(status).to_have_text("Declined", timeout=WITHIN)
    # Nothing left to wait for: the refreshed column came back without its trigger.
    expect(page.locator("#detail-main")).not_to_have_attribute("hx-trigger", "every 5s")
    assert console_errors == []
