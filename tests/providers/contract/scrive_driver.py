"""Scrive, against the stateful fake server (tests/fakes/scrive/), through its public controls:
parties' actions, `fail_next`, the request log and the callback transport. Callbacks the fake
makes are kept here instead of delivered, so each case posts exactly the calls it means to."""

from __future__ import annotations

from django.urls import reverse

from portal.models import Role
from providers import http
from providers.base import RemoteEvent
from providers.models import ProviderConnection
from tests.providers.contract.base import HTTP, ProviderDriver, Sent, http_faults

DOCUMENT = r"/api/v2/documents/{remote_id}/"  # the document's calls (get, remind, cancel, …)
TIMEOUT = (2, 0.3)  # seconds; an injected delay longer than the read timeout is a timeout
ERROR = {"error_type": "server_error", "error_message": "Injected.", "http_code": 500}


class ScriveDriver(ProviderDriver):
    provider_id = "scrive"
    transport = HTTP
    known_breaks = {
        "test_a_reminder_cooldown_postpones_and_never_loses_anyone": (
            "Scrive documents no reminder limit: every remind call reminds everyone who has not signed"
        ),
        "test_a_genuine_webhook_is_stored_once_even_when_replayed": (
            "the contract posts to the connection's URL without its secret, as JSON; Scrive's callbacks are form "
            "posts to a URL carrying the secret (covered in tests/providers/scrive)"
        ),
        "test_a_refused_token_is_renewed_once_then_the_connection_needs_reconnecting": (
            "Scrive's OAuth 1 tokens never expire and cannot be renewed: the first 401 means revoked"
        ),
        "test_an_expired_token_is_renewed_and_the_call_answered": (
            "Scrive's OAuth 1 tokens never expire and cannot be renewed: the first 401 means revoked"
        ),
    }

    def setup(self) -> None:
        monkeypatch = self.fixture("monkeypatch")
        monkeypatch.setattr(http, "BACKOFF", 0.01)
        monkeypatch.setattr(http, "TIMEOUT", TIMEOUT)
        self.fake = self.fixture("fake_scrive")
        client, admin = self.fixture("member_client")(role=Role.ADMIN)
        fields = {"label": "Scrive — Contract", **self.fake.personal}
        response = client.post(reverse("connection_paste", args=["scrive"]), fields)
        assert response.status_code == 302, response.content
        self.connection = ProviderConnection.objects.get(org=admin.org, provider="scrive")
        self.org, self.user = admin.org, admin.user
        self.calls: list[tuple[str, bytes, dict]] = []
        self.fake.webhook_transport = self._keep

    def _keep(self, url: str, body: bytes, headers: dict) -> int:
        self.calls.append((url, body, dict(headers)))
        return 200

    def connect(self):
        adapter = super().connect()
        adapter.sleep = lambda seconds: None  # a seal still under way is not waited for in real time
        return adapter

    # -- the remote side --------------------------------------------------------------------------

    def open(self, sent: Sent, ref: str) -> None:
        self.fake.open(sent.remote_id, sent.remote.participant_ids[ref])

    def sign(self, sent: Sent, ref: str) -> None:
        self.fake.sign(sent.remote_id, sent.remote.participant_ids[ref])

    def remote_count(self) -> int:
        """Documents in the account, drafts included (a lost draft is a second remote object)."""
        return self.fake.document_count(live=True)

    def holds(self, remote_id: str) -> bool:
        return not self.fake.documents[remote_id]["is_deleted"]

    def knows_contact(self, remote_id: str, email: str) -> bool:
        try:
            self.fake.signatory_id(remote_id, email)
        except ValueError:
            return False
        return True

    def inject(self, fault: str, remote_id: str) -> None:
        document = DOCUMENT.format(remote_id=remote_id)
        faults = http_faults(missing_field={"title": "Lease"}, server_error={"status": 500, "body": ERROR})
        self.fake.fail_next("*", document, **faults[fault])

    def reported_events(self, remote_id: str) -> list[RemoteEvent]:
        adapter = self.connect()
        events = [event for _url, body, _headers in self.calls for event in adapter.webhook_events(body)]
        return [event for event in events if event.remote_id == remote_id]

    # -- webhooks ---------------------------------------------------------------------------------

    def webhook(self, kind: str, sent: Sent) -> tuple[bytes, dict[str, str]]:
        """Scrive's callbacks are unsigned: the URL's secret is their only proof. A genuine call is
        the fake's own; the contract posts it to the URL without the secret, so "forged" and
        "stale" (which Scrive has no notion of) are the same call, refused for its URL."""
        before = len(self.calls)
        self.fake.callback_now(sent.remote_id)
        _url, body, headers = self.calls[before]
        if kind in ("genuine", "forged", "stale"):
            return body, headers
        raise ValueError(f"No such webhook call: {kind}.")

    # -- HTTP ---------------------------------------------------------------------------------------

    def refreshes(self) -> int:
        return 0  # OAuth 1 tokens are never renewed

    def requests_outside_api(self) -> list[dict[str, str]]:
        return [dict(r.headers) for r in self.fake.requests if not r.path.startswith(("/api/v2/", "/flow/"))]
