"""Fixtures for the fake Formify server (see tests/fakes/formify/)."""

from __future__ import annotations

import pytest

from tests.fakes.formify import FakeFormify


@pytest.fixture
def fake_formify(settings):
    """A running FakeFormify, with the portal's Formify settings pointing at it."""
    fake = FakeFormify(client_id="paraph-test-client", client_secret="paraph-test-secret").start()
    settings.FORMIFY_API_URL = fake.api_url
    settings.FORMIFY_AUTHORIZE_URL = fake.authorize_url
    settings.FORMIFY_CLIENT_ID = fake.client_id
    settings.FORMIFY_CLIENT_SECRET = fake.client_secret
    yield fake
    fake.stop()
