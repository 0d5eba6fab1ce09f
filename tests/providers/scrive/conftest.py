"""A Scrive account connected through the portal's own screens, against the fake server.

- `fake_scrive` (tests/fakes/scrive_fixtures.py): the running doc-true fake, with the portal's
  Scrive settings pointing at it.
- `scrive`: a `Scrive` with `.fake`, `.connection` (connected by pasting the owner's personal
  access credentials), `.client`, `.admin`, `.org` and `.callback_statuses` (what Paraph answered
  each callback). Callbacks reach Paraph's webhook view in the test's thread.
- `scrive_adapter`: the ScriveProvider for that connection (waiting for a seal never sleeps).
- `scrive_envelope(people=…, **fields)`: an envelope sent through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django_q.conf import Conf

from envelopes.composing.participants import participant_add
from envelopes.services import envelope_create, envelope_send
from portal.models import Membership, Role
from providers.models import ProviderConnection
from tests.fakes.scrive import FakeScrive


@pytest.fixture(autouse=True)
def _inline_tasks(monkeypatch, settings, tmp_path):
    monkeypatch.setattr(Conf, "SYNC", True)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "http://testserver"
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks plain HTTP on loopback


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@dataclass
class Scrive:
    fake: FakeScrive
    client: Client
    admin: Membership
    connection: ProviderConnection
    callback_statuses: list

    @property
    def org(self):
        return self.admin.org


@pytest.fixture
def paste_scrive(fake_scrive, member_client):
    """Connects by pasting credentials on the connection screen; returns the response."""

    def paste(credentials=None, label: str = "Scrive — Legal", client=None):
        if client is None:
            client, _ = member_client(role=Role.ADMIN)
        fields = {"label": label, **(credentials or fake_scrive.personal)}
        return client.post(reverse("connection_paste", args=["scrive"]), fields, follow=True)

    return paste


@pytest.fixture
def scrive(fake_scrive, member_client, django_capture_on_commit_callbacks) -> Scrive:
    client, admin = member_client(role=Role.ADMIN)
    response = client.post(
        reverse("connection_paste", args=["scrive"]), {"label": "Scrive — Legal", **fake_scrive.personal}
    )
    assert response.status_code == 302, response.content
    connection = ProviderConnection.objects.get(org=admin.org, provider="scrive")
    statuses: list[int] = []
    receiver = Client()

    def deliver(url: str, body: bytes, headers: dict) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            status = receiver.post(path_of(url), data=body, content_type=headers["Content-Type"]).status_code
        statuses.append(status)
        return status

    fake_scrive.webhook_transport = deliver
    return Scrive(fake_scrive, client, admin, connection, statuses)


@pytest.fixture
def scrive_adapter(scrive):
    from providers.scrive.provider import ScriveProvider

    return ScriveProvider(scrive.connection, sleep=lambda seconds: None)


@pytest.fixture
def scrive_envelope(scrive, make_document, django_capture_on_commit_callbacks):
    """Sends an envelope through the connected account to `people` [(name, email, extra), …]."""

    def send(people=(("Ada Signer", "ada@example.com", {}), ("Ben Signer", "ben@example.com", {})), **fields):
        envelope = envelope_create(
            org=scrive.org, actor=scrive.admin.user, title="Lease", provider="scrive", connection=scrive.connection
        )
        make_document(envelope, pages=1)
        for name, email, extra in people:
            participant_add(envelope=envelope, name=name, email=email, **extra)
        for name, value in fields.items():
            setattr(envelope, name, value)
        envelope.save()
        with django_capture_on_commit_callbacks(execute=True):
            envelope_send(envelope=envelope, actor=scrive.admin.user)
        envelope.refresh_from_db()
        return envelope

    return send
