"""EasyInk, against the stateful fake server (tests/fakes/easyink/), through its public controls:
participants' actions, `fail_next` and the request log.

EasyInk documents no refresh token; the fake issues one here (`issue_refresh_tokens`), so the
contract's token-renewal cases exercise the adapter's use of one when a token answer carries it.
Without one (the documented case) a refused or expired token marks the connection *needs
reconnect* at once: tests/providers/easyink/test_tokens.py."""

from __future__ import annotations

from envelopes.models import EnvelopeStatus, SignatureField
from providers import http
from tests.providers.contract.base import HTTP, ProviderDriver, Sent, http_faults
from tests.providers.easyink.conftest import connect_through_portal

SESSION = r"/api/signingSessions/{remote_id}"  # the session and its sub-resources
TIMEOUT = (2, 0.3)  # seconds; an injected delay longer than the read timeout is a timeout


class EasyInkDriver(ProviderDriver):
    provider_id = "easyink"
    transport = HTTP

    def setup(self) -> None:
        monkeypatch = self.fixture("monkeypatch")
        monkeypatch.setattr(http, "BACKOFF", 0.01)
        monkeypatch.setattr(http, "TIMEOUT", TIMEOUT)
        self.fake = self.fixture("fake_easyink")
        self.fake.issue_refresh_tokens = True
        self.connection, _client, admin = connect_through_portal(
            "easyink", self.fake, self.fixture("member_client"), "EasyInk — Contract"
        )
        self.org, self.user = admin.org, admin.user

    def make_envelope(self, status: str = EnvelopeStatus.DRAFT):
        """EasyInk needs a signature box for each signer: one each, side by side on the page."""
        envelope = super().make_envelope(status)
        document = envelope.documents.get()
        for index, person in enumerate(envelope.participants.all()):
            SignatureField.objects.create(document=document, participant=person, page=1, x=72 + 200 * index, y=72)
        return envelope

    # -- the remote side --------------------------------------------------------------------------

    def open(self, sent: Sent, ref: str) -> None:
        self.fake.open(sent.remote_id, sent.remote.participant_ids[ref])

    def sign(self, sent: Sent, ref: str) -> None:
        self.fake.sign(sent.remote_id, sent.remote.participant_ids[ref])

    def remote_count(self) -> int:
        return len(self.fake.live_sessions())

    def holds(self, remote_id: str) -> bool:
        return not self.fake.sessions[remote_id]["deleted"]

    def knows_contact(self, remote_id: str, email: str) -> bool:
        try:
            self.fake.participant_id(remote_id, email)
        except ValueError:
            return False
        return True

    def inject(self, fault: str, remote_id: str) -> None:
        session = SESSION.format(remote_id=remote_id)
        faults = http_faults(missing_field={"subject": "Lease"})
        self.fake.fail_next("*", session, **faults[fault])

    # -- HTTP ---------------------------------------------------------------------------------------

    def refreshes(self) -> int:
        calls = self.fake.requests_to("POST", "/connect/token")
        return sum(1 for request in calls if b"grant_type=refresh_token" in request.body)

    def requests_outside_api(self) -> list[dict[str, str]]:
        return [dict(r.headers) for r in self.fake.requests if not r.path.startswith(("/api/", "/connect/"))]
