"""An admin connects TransactionLink in the browser by pasting the organization's API token, sees
the webhook URL to paste in TransactionLink's dashboard and tests the connection; a refused token
is said on the page and connects nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models import Role
from providers.models import ProviderConnection
from tests.conftest import PASSWORD
from tests.fakes.transactionlink import FakeTransactionLink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake_tl(settings):
    with FakeTransactionLink() as fake:
        settings.TRANSACTIONLINK_API_URL = fake.base_url
        yield fake


def test_connect_transactionlink_by_pasting_a_token(
    live_server, page, console_errors, fake_tl, make_member, settings, tmp_path
):
    settings.SITE_URL = live_server.url
    admin = make_member(role=Role.ADMIN)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(admin.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()

    card = page.locator("[data-provider=transactionlink]")
    card.get_by_label("Organization API token").fill("tot_not_ours")
    card.get_by_role("button", name="Connect TransactionLink account").click()
    expect(page.get_by_text("TransactionLink refused the connection")).to_be_visible()
    assert not ProviderConnection.objects.exists()

    card.get_by_label("Name").fill("Screening")
    card.get_by_label("Organization API token").fill(fake_tl.api_token)
    card.get_by_role("button", name="Connect TransactionLink account").click()
    expect(card.get_by_text("Connected", exact=True)).to_be_visible()
    expect(card.get_by_text(f"{live_server.url}/webhooks/transactionlink/")).to_be_visible()
    card.get_by_role("button", name="Test").click()
    expect(page.get_by_text(f"Screening works: signed in as API token …{fake_tl.api_token[-4:]}")).to_be_visible()
    page.screenshot(path=str(tmp_path / "transactionlink.png"), full_page=True)
    assert console_errors == []
