"""Against Scrive's testbed, only when its credentials are in the environment:

    SCRIVE_LIVE_CLIENT_KEY, SCRIVE_LIVE_CLIENT_SECRET, SCRIVE_LIVE_TOKEN_KEY, SCRIVE_LIVE_TOKEN_SECRET
    (personal access credentials of a testbed account), optionally SCRIVE_LIVE_API_URL.

Nothing is started, so nobody is invited: a draft is made, updated, read, trashed and deleted.
"""

from __future__ import annotations

import _socket
import json
import os
import socket

import pytest
from django.urls import reverse

from portal.models import Role
from providers.models import ProviderConnection
from providers.scrive import client
from tests.envelopes.pdfs import make_pdf

TESTBED = "https://api-testbed.scrive.com"
KEYS = {
    "client_key": "SCRIVE_LIVE_CLIENT_KEY",
    "client_secret": "SCRIVE_LIVE_CLIENT_SECRET",
    "token_key": "SCRIVE_LIVE_TOKEN_KEY",
    "token_secret": "SCRIVE_LIVE_TOKEN_SECRET",
}
MISSING = [name for name in KEYS.values() if not os.environ.get(name)]

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(bool(MISSING), reason=f"Scrive testbed credentials not set ({', '.join(MISSING)})"),
]


@pytest.fixture
def testbed(settings, monkeypatch):
    url = os.environ.get("SCRIVE_LIVE_API_URL", TESTBED).rstrip("/")
    if url != TESTBED:
        pytest.skip("The live tests run against Scrive's testbed only.")
    settings.SCRIVE_API_URL = url
    settings.SITE_URL = "https://paraph.invalid"
    # This module alone may leave the machine: it exists to talk to the testbed.
    monkeypatch.setattr(socket.socket, "connect", _socket.socket.connect)
    return url


def test_connect_and_a_draft_round_trip(testbed, member_client):
    web, admin = member_client(role=Role.ADMIN)
    fields = {name: os.environ[env] for name, env in KEYS.items()}
    response = web.post(reverse("connection_paste", args=["scrive"]), {"label": "Scrive testbed", **fields})
    assert response.status_code == 302, response.content.decode()[:500]
    connection = ProviderConnection.objects.get(org=admin.org, provider="scrive")
    from providers.scrive.provider import ScriveProvider

    http = ScriveProvider(connection).http
    document = client.document_new(http, "paraph-live-check.pdf", make_pdf(1))
    try:
        author = document["parties"][0]
        party = {"fields": [{"type": "name", "order": 1, "value": "Paraph"}, {"type": "name", "order": 2,
                                                                              "value": "Check"}]}
        updated = client.document_update(http, document["id"], {"parties": [author, party]}, document["object_version"])
        assert len(updated["parties"]) == 2
        assert client.document_get(http, document["id"])["status"] == "preparation"
        json.dumps(updated)  # the answer is plain JSON
    finally:
        client.document_trash(http, document["id"])
        client.document_delete(http, document["id"])
