"""FakeFormify: the running server plus the controls a test turns (see the package docstring)."""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qsl

from tests.fakes.base import Incoming, Reply
from tests.fakes.formify.api import ROUTES, FormifyApi
from tests.fakes.formify.oauth import ConsentRefused
from tests.fakes.formify.server import RateLimiter, error_reply, within_rate_limit
from tests.fakes.formify.state import ApiError, FormifyState


class FakeFormify(FormifyState):
    """A Formify account behind a real HTTP server on 127.0.0.1."""

    def __init__(self, client_id: str = "paraph-test-client", client_secret: str = "paraph-test-secret"):
        super().__init__(client_id, client_secret)
        self._api = FormifyApi(self)
        self._limiter = RateLimiter(self)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/app/#/oauth"

    # -- the HTTP side (hooks of the shared fake base) ----------------------------------------

    def routes(self):
        return [(method, pattern, self._endpoint(getattr(self._api, name))) for method, pattern, name in ROUTES]

    def error_reply(self, status: int, message: str) -> Reply:
        codes = {404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}
        return error_reply(ApiError(status, codes.get(status, "server_error" if status >= 500 else "error"), message))

    def respond(self, incoming: Incoming, injected: Reply | None) -> Reply:
        if not incoming.path.startswith("/v1/"):
            return injected or self.route(incoming)
        return within_rate_limit(self._limiter, incoming, injected, self.route)

    def _endpoint(self, handler):
        def answer(incoming: Incoming) -> Reply:
            try:
                if incoming.path.startswith("/v1/") and not incoming.path.startswith("/v1/oauth/"):
                    self._api.oauth.authenticate(incoming.headers.get("Authorization"), _scope_for(incoming.method))
                return handler(incoming)
            except ApiError as error:
                return error_reply(error)

        return answer

    # -- what a browser, signees and the account owner do -------------------------------------

    def consent(self, authorize_url: str) -> str:
        """The redirect (with code and state, or an error) the consent page answers `authorize_url`
        with. ValueError when the page would not redirect at all."""
        base, _, fragment = authorize_url.partition("#")
        route, _, query = fragment.partition("?")
        if base.rstrip("/") != f"{self.base_url}/app" or route != "/oauth":
            raise ValueError(f"{authorize_url} is not this fake's consent page ({self.authorize_url}?...).")
        return self._api.oauth.consent(dict(parse_qsl(query, keep_blank_values=True)))

    def signee_id(self, document_id: str, email_or_phone: str) -> str:
        with _as_value_error():
            return self._api.documents.signee_id(document_id, email_or_phone)

    def open(self, document_id: str, signee_id: str) -> None:
        """The signee opens the document: `document.opened`."""
        with _as_value_error():
            self._api.documents.open(document_id, signee_id)

    def sign(self, document_id: str, signee_id: str) -> None:
        """The signee signs: `document.signed`, and `document.completed` after the last one.
        ValueError when it is not their turn or the document is not awaiting signatures."""
        with _as_value_error():
            self._api.documents.sign(document_id, signee_id)

    def revoke_by_owner(self, document_id: str) -> None:
        """The owner revokes in Formify's app (Formify's signers cannot decline): `document.revoked`."""
        with _as_value_error():
            self._api.documents.revoke(document_id)

    def finish_processing(self, document_id: str) -> None:
        with _as_value_error():
            self._api.documents.finish_processing(document_id)

    def set_field_values(self, document_id: str, values: list[dict]) -> None:
        """What the signees filled in, as GET /docs/{id}/field-values returns it once completed."""
        with _as_value_error():
            self._api.documents.set_field_values(document_id, values)

    # -- what exists --------------------------------------------------------------------------

    def add_document(self, name: str, emails: list[str], *, age: float = 0.0) -> str:
        """A document someone sent from Formify's app `age` seconds ago, awaiting the signatures
        of `emails` (no webhooks): another document in the account's list. Returns its id."""
        return self._api.documents.add(name, list(emails), age=age)

    def document_count(self, *, status: str | None = None) -> int:
        """How many documents the account holds (with `status`, only those in it)."""
        with self.lock:
            return sum(1 for d in self.documents.values() if status is None or d["status"] == status)

    # -- tokens -------------------------------------------------------------------------------

    def expire_access_tokens(self) -> None:
        """Every access token issued so far gets 401; refreshing still works."""
        self._api.oauth.expire_access_tokens()

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token issued so far is refused (400 invalid_grant)."""
        self._api.oauth.revoke_refresh_tokens()

    # -- webhooks -----------------------------------------------------------------------------

    def emit(self, event_type: str, document_id: str, *, signee_id: str | None = None) -> list[dict]:
        """Formify sends `event_type` about the document now, as it would on its own (a fresh
        eventId, signed with the current secret and timestamp): the deliveries it made."""
        with _as_value_error(), self.lock:
            queued = self._api.webhooks.queue(event_type, self._api.documents.get(document_id), signee_id)
        self._api.webhooks.send(queued)
        return queued

    def deliver_pending(self) -> int:
        """Retries every delivery not yet answered 2xx (up to 5 retries each), signed afresh with
        the current time; returns how many were tried."""
        return self._api.webhooks.deliver_pending()

    def replay(self, index: int) -> int | None:
        """Sends deliveries[index] again, byte for byte, headers included (as an attacker who
        captured it would): the receiver's status (None: unreachable)."""
        with _as_value_error():
            return self._api.webhooks.replay(index)

    def forge(self, webhook_id: str, event: dict, *, secret: str | None = None, timestamp: int | None = None):
        """Sends `event` (the inner event object) signed with a wrong secret, or with the real secret
        and the given (stale) `timestamp`: the receiver's status."""
        with _as_value_error():
            return self._api.webhooks.forge(webhook_id, event, secret=secret, timestamp=timestamp)


def _scope_for(method: str) -> str:
    return "read" if method in ("GET", "HEAD") else "write"


@contextlib.contextmanager
def _as_value_error():
    """Control calls refuse as Python does (ValueError), carrying the API's sentence."""
    try:
        yield
    except (ApiError, ConsentRefused) as refused:
        raise ValueError(str(refused)) from None
