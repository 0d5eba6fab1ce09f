"""An EasyInk account connected through the portal's own OAuth screens, against the fake server.

- `connect_easyink(label=…)`: Connect → the fake's authorize page → callback; returns
  (connection, admin's client, admin membership).
- `easyink_envelope(people=…, documents=…, attachments=…, in_order=…)`: an envelope composed for
  that connection, each signer with a signature box, not yet sent.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from envelopes.composing.participants import participant_add
from envelopes.models import DocumentKind, SignatureField
from envelopes.services import envelope_create
from portal.models import Role
from providers.models import ProviderConnection
from tests.providers.conftest import path_of

PEOPLE = (("Ada Byron Lovelace", "ada@example.com"), ("Ben Signer", "ben@example.com"),
          ("Cleo Third", "cleo@example.com"))


def connect_through_portal(provider: str, fake, member_client, label: str, client=None, admin=None):
    """Connects an account the way an admin does: Connect → the fake's authorize page → callback."""
    if client is None:
        client, admin = member_client(role=Role.ADMIN)
    response = client.post(reverse("connection_connect", args=[provider]), {"label": label})
    assert response.status_code == 302, response.content
    callback = fake.consent(response["Location"])
    response = client.get(path_of(callback), follow=True)
    assert response.status_code == 200
    return ProviderConnection.objects.filter(org=admin.org, provider=provider).latest("pk"), client, admin


@pytest.fixture
def connect_easyink(fake_easyink, member_client):
    def connect(label: str = "EasyInk — Sales", client=None, admin=None):
        return connect_through_portal("easyink", fake_easyink, member_client, label, client, admin)

    return connect


@pytest.fixture
def easyink_envelope(make_document):
    def compose(connection, user, *, people=PEOPLE[:2], documents=1, attachments=0, in_order=False, **fields):
        envelope = envelope_create(org=connection.org, actor=user, title=fields.pop("title", "Lease"),
                                   provider="easyink", connection=connection)
        signed = [make_document(envelope, pages=2) for _ in range(documents)]
        for _ in range(attachments):
            make_document(envelope, pages=1, kind=DocumentKind.ATTACHMENT)
        for position, (name, email) in enumerate(people):
            person = participant_add(envelope=envelope, name=name, email=email)
            if in_order:
                type(person).objects.filter(pk=person.pk).update(order=position + 1)
            for document in signed:
                SignatureField.objects.create(document=document, participant=person, page=2, x=72,
                                              y=72 + 70 * position, width=180, height=60)
        for name, value in fields.items():
            setattr(envelope, name, value)
        envelope.save()
        return envelope

    return compose
