"""Formify, against the stateful fake server (tests/fakes/formify/), through its public controls:
signees' actions, `fail_next`, the request log and the webhook transport. Webhook calls the fake
makes are kept here instead of delivered, so each case posts exactly the calls it means to."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from providers import http
from providers.base import RemoteEvent
from tests.providers.contract.base import HTTP, ProviderDriver, Sent, http_faults

DOCUMENT = r"/v1/docs/{remote_id}"  # the document and its sub-resources (reminder, revoke, …)
TIMEOUT = (2, 0.3)  # seconds; an injected delay longer than the read timeout is a timeout


class FormifyDriver(ProviderDriver):
    provider_id = "formify"
    transport = HTTP

    def setup(self) -> None:
        monkeypatch = self.fixture("monkeypatch")
        monkeypatch.setattr(http, "BACKOFF", 0.01)
        monkeypatch.setattr(http, "TIMEOUT", TIMEOUT)
        self.fake = self.fixture("fake_formify")
        self.connection, _client, admin = self.fixture("connect_formify")()
        self.org, self.user = admin.org, admin.user
        self.calls: list[tuple[str, bytes, dict]] = []  # webhook calls the fake made: (url, body, headers)
        self.fake.webhook_transport = self._keep

    def _keep(self, url: str, body: bytes, headers: dict) -> int:
        self.calls.append((url, body, dict(headers)))
        return 200

    # -- the remote side --------------------------------------------------------------------------

    def open(self, sent: Sent, ref: str) -> None:
        self.fake.open(sent.remote_id, sent.remote.participant_ids[ref])

    def sign(self, sent: Sent, ref: str) -> None:
        self.fake.sign(sent.remote_id, sent.remote.participant_ids[ref])

    def remote_count(self) -> int:
        return sum(1 for document in self.fake.documents.values() if document["status"] != "deleted")

    def holds(self, remote_id: str) -> bool:
        return self.fake.documents[remote_id]["status"] != "deleted"

    def knows_contact(self, remote_id: str, email: str) -> bool:
        try:
            self.fake.signee_id(remote_id, email)
        except ValueError:
            return False
        return True

    def inject(self, fault: str, remote_id: str) -> None:
        document = DOCUMENT.format(remote_id=remote_id)
        faults = http_faults(missing_field={"name": "Lease"})
        self.fake.fail_next("*", document, **faults[fault])

    def reported_events(self, remote_id: str) -> list[RemoteEvent]:
        adapter = self.connect()
        events = [event for _url, body, _headers in self.calls for event in adapter.webhook_events(body)]
        return [event for event in events if event.remote_id == remote_id]

    # -- webhooks ---------------------------------------------------------------------------------

    def webhook(self, kind: str, sent: Sent) -> tuple[bytes, dict[str, str]]:
        before = len(self.calls)
        self.open(sent, sent.refs[0])  # Formify calls about it: document.opened
        _url, body, headers = self.calls[before]
        if kind == "genuine":
            return body, headers
        if kind == "forged":
            return body, _signed(body, "whsec_" + secrets.token_urlsafe(32), int(time.time()))
        if kind == "stale":
            return body, _signed(body, self.connection.webhook_secret, int(time.time()) - 10 * 60)
        raise ValueError(f"No such webhook call: {kind}.")

    # -- HTTP ---------------------------------------------------------------------------------------

    def refreshes(self) -> int:
        return sum(
            1
            for request in self.fake.requests
            if request.method == "POST" and request.path == "/v1/oauth/token" and b"refresh_token" in request.body
        )

    def requests_outside_api(self) -> list[dict[str, str]]:
        return [dict(request.headers) for request in self.fake.requests if not request.path.startswith("/v1/")]


def _signed(body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    """Headers as Formify signs a call (Reference: "Webhook Signature Verification"): HMAC-SHA256
    over "{timestamp}.{raw body}", hex."""
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Formify-Timestamp": str(timestamp), "X-Formify-Signature": signature}
