"""Fixtures for the provider-platform tests: the sample providers registered for the test, the
loopback fakes they talk to, and connections and envelopes made directly for webhook tests."""

from __future__ import annotations

import itertools
import json

import pytest
from django.utils import timezone

from envelopes.models import EnvelopeStatus, ParticipantStatus
from providers import registry
from providers.models import ConnectionStatus, ProviderConnection
from tests.providers.platform.fake_api import FakeSignApi
from tests.providers.platform.fake_oauth1 import FakeOAuth1Api
from tests.providers.platform.sample_providers import SAMPLE_PROVIDERS, Oauth1Sign, PlatformSign

_events = itertools.count(1)


@pytest.fixture
def platform_providers(monkeypatch):
    """The sample providers, added to the registry for this test only (the registry's dict is
    changed in place: modules that imported it see them too)."""
    for provider in SAMPLE_PROVIDERS:
        monkeypatch.setitem(registry.PROVIDERS, provider.id, f"{provider.__module__}.{provider.__name__}")
    registry._load.cache_clear()
    yield
    registry._load.cache_clear()


@pytest.fixture
def sign_api(platform_providers, monkeypatch):
    """A running FakeSignApi that every API-credentials sample provider talks to."""
    fake = FakeSignApi().start()
    monkeypatch.setattr(PlatformSign, "base_url", fake.url)
    yield fake
    fake.stop()


@pytest.fixture
def oauth1_api(platform_providers, monkeypatch):
    """A running FakeOAuth1Api, with Paraph's client credentials registered at it."""
    fake = FakeOAuth1Api().start()
    monkeypatch.setattr(Oauth1Sign, "base_url", fake.url)
    monkeypatch.setattr(Oauth1Sign, "client_key", fake.client_key)
    monkeypatch.setattr(Oauth1Sign, "client_secret", fake.client_secret)
    yield fake
    fake.stop()


@pytest.fixture
def make_connection(make_org):
    """A connected account, made directly (webhook and polling tests)."""

    def make(provider_id: str, *, credentials: dict, org=None, webhook_secret: str = "") -> ProviderConnection:
        connection = ProviderConnection(
            org=org or make_org(),
            provider=provider_id,
            label=f"{provider_id} account",
            status=ConnectionStatus.CONNECTED,
        )
        connection.credentials = credentials
        connection.webhook_secret = webhook_secret
        connection.save()
        return connection

    return make


@pytest.fixture
def make_sent_envelope(make_envelope, make_participant):
    """An envelope out for signature through `connection`, known at the service as `remote_id`,
    with participants `<remote_id>-p1`, `<remote_id>-p2`… invited."""

    def make(connection: ProviderConnection, remote_id: str, people: int = 2, **fields):
        envelope = make_envelope(
            org=connection.org,
            status=EnvelopeStatus.SENT,
            provider=connection.provider,
            connection=connection,
            remote_id=remote_id,
            sent_at=timezone.now(),
            **fields,
        )
        for n in range(1, people + 1):
            make_participant(envelope, status=ParticipantStatus.INVITED, remote_id=f"{remote_id}-p{n}")
        return envelope

    return make


def event(remote_id: str, kind: str = "participant.signed", participant: str = "", event_id: str = "") -> dict:
    """One event in the sample providers' webhook format."""
    return {
        "id": event_id or f"evt-{next(_events)}",
        "type": kind,
        "envelope": remote_id,
        "at": timezone.now().isoformat(),
        "participant": participant,
    }


def webhook_body(*events: dict) -> bytes:
    return json.dumps({"events": list(events)}).encode()
