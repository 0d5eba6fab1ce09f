"""FakeEasyInk: the running server (identity provider and API on one port) plus the controls a
test turns (see the package docstring)."""

from __future__ import annotations

import contextlib
import threading
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.base import FakeServer, Incoming, Reply
from tests.fakes.easyink.identity import ConsentRefused, IdentityProvider
from tests.fakes.easyink.sessions import ApiError, Sessions, error_reply, new_id

ID = r"(?P<session_id>[0-9a-f-]{36})"
DRAFTS = r"/api/signingSessionDrafts"
SESSIONS = r"/api/signingSessions"


class FakeEasyInk(FakeServer):
    name = "fake-easyink"

    def __init__(self, client_id: str = "paraph-test-client", client_secret: str = "paraph-test-secret"):
        super().__init__()
        self.lock = threading.RLock()
        self.client_id, self.client_secret = client_id, client_secret
        self.user_id, self.user_name, self.user_email = new_id(), "Erin Sender", "erin@example.com"
        self.organization_id, self.settings_set_id = new_id(), new_id()
        self.deny_consent = False
        self.issue_refresh_tokens = False  # the reference documents none [2]
        self.token_lifetime = 3600
        self.answer_expires_in = True  # False: the token answer gives its expiry only as the JWT's exp [4]
        self.processing_delay = 0.0  # seconds a document takes to process after upload
        self.signed_processing_delay = 0.0  # seconds a signed copy / the all-in-one PDF takes
        self.identity = IdentityProvider(self)
        self.drafts = Sessions(self)

    @property
    def api_url(self) -> str:
        return self.base_url

    @property
    def identity_url(self) -> str:
        return self.base_url

    @property
    def sessions(self) -> dict[str, dict]:
        return self.drafts.sessions

    # -- the HTTP side ----------------------------------------------------------------------------

    def routes(self):
        s = self.drafts
        return [
            ("GET", "/connect/authorize", self._authorize_page),
            ("POST", "/connect/token", lambda incoming: self.identity.token(incoming.form())),
            ("POST", DRAFTS, self._api(s.create)),
            ("GET", f"{DRAFTS}/{ID}", self._api(s.draft_details)),
            ("DELETE", f"{DRAFTS}/{ID}", self._api(s.delete_draft)),
            ("POST", f"{DRAFTS}/{ID}/documents", self._api(lambda i: s.upload(i, "document"))),
            ("POST", f"{DRAFTS}/{ID}/attachments", self._api(lambda i: s.upload(i, "attachment"))),
            ("POST", f"{DRAFTS}/{ID}/participants", self._api(s.add_participant)),
            ("POST", f"{DRAFTS}/{ID}/signatureFields", self._api(s.add_field)),
            ("PUT", f"{DRAFTS}/{ID}/signingOrder/oneByOne", self._api(s.one_by_one)),
            ("PUT", f"{DRAFTS}/{ID}/signingOrder/allAtOnce", self._api(s.all_at_once)),
            ("PUT", f"{DRAFTS}/{ID}/parameters", self._api(s.parameters)),
            ("POST", f"{DRAFTS}/{ID}/readyToStart", self._api(s.convert)),
            ("GET", SESSIONS, self._api(s.search)),
            ("GET", f"{SESSIONS}/statistics", self._api(s.statistics)),
            ("GET", f"{SESSIONS}/{ID}", self._api(s.details)),
            ("HEAD", f"{SESSIONS}/{ID}", self._api(s.exists)),
            ("POST", f"{SESSIONS}/{ID}/started", self._api(s.start)),
            ("POST", f"{SESSIONS}/{ID}/voided", self._api(s.void)),
            ("POST", f"{SESSIONS}/{ID}/recreated", self._api(s.recreate)),
            ("PUT", f"{SESSIONS}/{ID}/participants/(?P<participant_id>[0-9a-f-]{{36}})/contact", self._api(s.contact)),
            ("GET", f"{SESSIONS}/{ID}/signedDocuments/(?P<document_id>[0-9a-f-]{{36}})", self._api(s.signed_document)),
            ("GET", f"{SESSIONS}/{ID}/allInOneDocument", self._api(s.all_in_one)),
        ]

    def _authorize_page(self, incoming: Incoming) -> Reply:
        """The sign-in page, for a browser: the user signs in at once and is sent back."""
        try:
            return Reply(302, b"", {"Location": self.identity.consent(incoming.query)})
        except ConsentRefused as refused:
            return Reply(400, str(refused).encode(), {"Content-Type": "text/plain"})

    def error_reply(self, status: int, message: str) -> Reply:
        return error_reply(status, message)

    def _api(self, handler):
        def answer(incoming: Incoming) -> Reply:
            if not self.identity.authenticate(incoming.headers.get("Authorization")):
                return error_reply(401, "Missing or invalid authentication")
            try:
                with self.lock:
                    return handler(incoming)
            except ApiError as error:
                return error.reply()

        return answer

    # -- what a browser and the participants do ---------------------------------------------------

    def consent(self, authorize_url: str) -> str:
        """The redirect the authorize page answers `authorize_url` with (after the user signs in)."""
        parts = urlsplit(authorize_url)
        if f"{parts.scheme}://{parts.netloc}{parts.path}" != f"{self.identity_url}/connect/authorize":
            raise ValueError(f"{authorize_url} is not this fake's authorize page.")
        with _as_value_error():
            return self.identity.consent(dict(parse_qsl(parts.query, keep_blank_values=True)))

    def open(self, session_id: str, participant_id: str) -> None:
        """The participant opens the signing link (a contact change is refused from now on)."""
        with _as_value_error(), self.lock:
            self.drafts.open(session_id, participant_id)

    def sign(self, session_id: str, participant_id: str) -> None:
        """The participant signs; the last signature finishes the session. ValueError when it is
        not their turn or the session is not active."""
        with _as_value_error(), self.lock:
            self.drafts.sign(session_id, participant_id)

    def decline(self, session_id: str, participant_id: str) -> None:
        with _as_value_error(), self.lock:
            self.drafts.decline(session_id, participant_id)

    def expire(self, session_id: str) -> None:
        with self.lock:
            self.sessions[session_id]["status"] = "Expired"

    def set_status(self, session_id: str, status: str) -> None:
        """Any status, including one the reference does not list (a value EasyInk adds later)."""
        with self.lock:
            self.sessions[session_id]["status"] = status

    def expire_tokens(self) -> None:
        """Every access token issued so far is past its `exp` (401 from now on)."""
        self.identity.expire_tokens()

    # -- what exists ------------------------------------------------------------------------------

    def live_sessions(self) -> list[dict]:
        with self.lock:
            return [s for s in self.sessions.values() if not s["deleted"]]

    def participant_id(self, session_id: str, email: str) -> str:
        for participant in self.sessions[session_id]["participants"]:
            if participant["email"] == email:
                return participant["id"]
        raise ValueError(f"No participant {email} in {session_id}.")


@contextlib.contextmanager
def _as_value_error():
    try:
        yield
    except (ApiError, ConsentRefused) as refused:
        raise ValueError(str(refused)) from None
