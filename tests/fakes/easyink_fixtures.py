"""Fixtures for the fake EasyInk server (see tests/fakes/easyink/)."""

from __future__ import annotations

import pytest

from tests.fakes.easyink import FakeEasyInk


@pytest.fixture
def fake_easyink(settings):
    """A running FakeEasyInk, with the portal's EasyInk settings pointing at it."""
    fake = FakeEasyInk(client_id="paraph-test-client", client_secret="paraph-test-secret").start()
    settings.EASYINK_API_URL = fake.api_url
    settings.EASYINK_IDENTITY_URL = fake.identity_url
    settings.EASYINK_CLIENT_ID = fake.client_id
    settings.EASYINK_CLIENT_SECRET = fake.client_secret
    settings.EASYINK_PATHS = ""
    yield fake
    fake.stop()
