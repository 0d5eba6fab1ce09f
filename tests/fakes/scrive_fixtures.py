"""Fixtures for the fake Scrive server (see tests/fakes/scrive/)."""

from __future__ import annotations

import pytest

from tests.fakes.scrive import FakeScrive


@pytest.fixture
def fake_scrive(settings):
    """A running FakeScrive, with the portal's Scrive settings pointing at it (pasted credentials:
    no OAuth client configured; a test sets SCRIVE_CLIENT_ID/SECRET for the three-legged connect)."""
    fake = FakeScrive().start()
    settings.SCRIVE_API_URL = fake.base_url
    settings.SCRIVE_CLIENT_ID = ""
    settings.SCRIVE_CLIENT_SECRET = ""
    yield fake
    fake.stop()
