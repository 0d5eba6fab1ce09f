"""The fake TransactionLink with Paraph's settings pointing at it, and a connection made the way an
admin makes one (pasting an API token, or a key and secret, on the connection screen)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import Role
from providers.models import ProviderConnection
from providers.registry import adapter_for
from tests.fakes.transactionlink import FakeTransactionLink


@pytest.fixture
def fake_tl(settings):
    with FakeTransactionLink() as fake:
        settings.TRANSACTIONLINK_API_URL = fake.base_url
        yield fake


@pytest.fixture
def paste(fake_tl, member_client):
    """Posts the paste form as an admin; returns (response, client, admin)."""

    def post(client=None, admin=None, **fields):
        if client is None:
            client, admin = member_client(role=Role.ADMIN)
        response = client.post(
            reverse("connection_paste", args=["transactionlink"]), {"label": "Screening", **fields}, follow=True
        )
        return response, client, admin

    return post


@pytest.fixture
def tl_connection(fake_tl, paste) -> ProviderConnection:
    response, _, _ = paste(api_token=fake_tl.api_token)
    assert response.status_code == 200
    return ProviderConnection.objects.get(provider="transactionlink")


@pytest.fixture
def tl(tl_connection):
    return adapter_for("transactionlink", tl_connection)
