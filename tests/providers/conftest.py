"""A Formify account connected through the portal's own OAuth screens, against the fake server.

For the provider contract suite:
- `fake_formify` (tests/fakes/formify_fixtures.py): the running doc-true fake, with the portal's
  Formify settings pointing at it; its controls are listed in tests/fakes/formify/__init__.py.
- `formify`: a `Formify` with `.fake`, `.connection` (a connected ProviderConnection, webhook
  registered), `.client` and `.admin` (the admin who connected it), `.org`, and
  `.webhook_statuses` (what Paraph answered each webhook call). Webhooks the fake sends from the
  test's thread reach Paraph's webhook view; those sent from its server thread while it answers
  an API call (document.created) get 503 and wait for `fake.deliver_pending()`.
- `formify_adapter`: the FormifyProvider for that connection.
- `formify_envelope(people=…, pages=2, **fields)`: an envelope sent through it.
"""

from __future__ import annotations

import threading
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


@pytest.fixture(autouse=True)
def _inline_tasks(monkeypatch, settings, tmp_path):
    # Tasks (sending, applying webhooks) run in the test, as a worker would run them.
    monkeypatch.setattr(Conf, "SYNC", True)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "http://testserver"
    # The fake speaks plain HTTP on loopback; production OAuth endpoints are HTTPS.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@dataclass
class Formify:
    fake: object
    client: Client
    admin: Membership
    connection: ProviderConnection
    webhook_statuses: list

    @property
    def org(self):
        return self.admin.org


@pytest.fixture
def connect_formify(fake_formify, member_client, django_capture_on_commit_callbacks):
    """Connects a Formify account the way an admin does: Connect → consent → callback."""

    def connect(label: str = "Formify — Sales", client=None, admin=None) -> ProviderConnection:
        if client is None:
            client, admin = member_client(role=Role.ADMIN)
        response = client.post(reverse("connection_connect", args=["formify"]), {"label": label})
        assert response.status_code == 302, response.content
        callback = fake_formify.consent(response["Location"])
        response = client.get(path_of(callback), follow=True)
        assert response.status_code == 200
        return ProviderConnection.objects.filter(org=admin.org, provider="formify").latest("pk"), client, admin

    return connect


@pytest.fixture
def formify(fake_formify, connect_formify, django_capture_on_commit_callbacks) -> Formify:
    """A connected account; webhooks from the fake reach the portal's webhook view in this thread."""
    connection, client, admin = connect_formify()
    statuses: list[int] = []
    receiver = Client()

    def deliver(url: str, body: bytes, headers: dict) -> int:
        if threading.current_thread() is not threading.main_thread():
            # Calls made while the fake answers an API request (document.created) come from its
            # server thread, outside the test's database transaction: left for deliver_pending().
            return 503
        extra = {key: value for key, value in headers.items() if key.lower() != "content-type"}
        with django_capture_on_commit_callbacks(execute=True):
            status = receiver.post(path_of(url), data=body, content_type="application/json", headers=extra).status_code
        statuses.append(status)
        return status

    fake_formify.webhook_transport = deliver
    return Formify(fake_formify, client, admin, connection, statuses)


@pytest.fixture
def formify_adapter(formify):
    """The Formify adapter acting for the connected account."""
    from providers.formify.provider import FormifyProvider

    return FormifyProvider(formify.connection)


@pytest.fixture
def formify_envelope(formify, make_document, django_capture_on_commit_callbacks):
    """Sends an envelope through the connected account to `people` [(name, email), …]."""

    def send(people=(("Ada Signer", "ada@example.com"), ("Ben Signer", "ben@example.com")), *, pages=2, **fields):
        envelope = envelope_create(
            org=formify.org, actor=formify.admin.user, title="Lease", provider="formify", connection=formify.connection
        )
        make_document(envelope, pages=pages)
        for name, email in people:
            participant_add(envelope=envelope, name=name, email=email)
        for name, value in fields.items():
            setattr(envelope, name, value)
        envelope.save()
        with django_capture_on_commit_callbacks(execute=True):
            envelope_send(envelope=envelope, actor=formify.admin.user)
        envelope.refresh_from_db()
        return envelope

    return send
