"""FakeFormify: the running server plus the controls a test turns (see the package docstring)."""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from urllib.parse import parse_qsl

from tests.fakes.formify.api import FormifyApi
from tests.fakes.formify.oauth import ConsentRefused
from tests.fakes.formify.server import Fault, FormifyHttp, FormifyServer
from tests.fakes.formify.state import ApiError, FormifyState


class FakeFormify(FormifyState):
    """A Formify account behind a real HTTP server on 127.0.0.1."""

    def __init__(self, client_id: str = "paraph-test-client", client_secret: str = "paraph-test-secret"):
        super().__init__(client_id, client_secret)
        self._api = FormifyApi(self)
        self._http = FormifyHttp(self, self._api)
        self._server: FormifyServer | None = None

    # -- running ------------------------------------------------------------------------------

    def start(self) -> FakeFormify:
        self._server = FormifyServer(self._http)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval, because stop() waits up to one interval for the loop to notice.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.02)
        threading.Thread(target=serve, name="fake-formify", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeFormify:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/app/#/oauth"

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

    # -- faults, limits, tokens and time ------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        *,
        status: int | None = 500,
        body=None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> None:
        """The next `times` requests whose method is `method` ("*": any) and whose full path (with
        /v1, without the query) matches the regex `path_pattern` (re.search) wait `delay` seconds,
        then answer `status` with `body` (None: a JSON server error; dict/list: JSON; str/bytes:
        as is) - or, with status None, answer normally. A delayed call still takes effect even when
        the client gave up waiting, as a real timeout can."""
        fault = Fault(method.upper(), re.compile(path_pattern), status, body, dict(headers or {}), times, delay)
        with self.lock:
            self._http.faults.append(fault)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far gets 401; refreshing still works."""
        self._api.oauth.expire_access_tokens()

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token issued so far is refused (400 invalid_grant)."""
        self._api.oauth.revoke_refresh_tokens()

    def advance(self, seconds: float) -> None:
        """Moves the fake's clock: cooldowns, token and link expiry, rate-limit windows."""
        with self.lock:
            self.clock_offset += seconds

    # -- webhooks -----------------------------------------------------------------------------

    def deliver_pending(self) -> int:
        """Retries every delivery not yet answered 2xx (up to 5 retries each); returns how many were tried."""
        return self._api.webhooks.deliver_pending()

    def replay(self, index: int) -> int | None:
        """Sends deliveries[index] again, byte for byte: the receiver's status (None: unreachable)."""
        with _as_value_error():
            return self._api.webhooks.replay(index)

    def forge(self, webhook_id: str, event: dict, *, secret: str | None = None, timestamp: int | None = None):
        """Sends `event` (the inner event object) signed with a wrong secret, or with the real secret
        and the given (stale) `timestamp`: the receiver's status."""
        with _as_value_error():
            return self._api.webhooks.forge(webhook_id, event, secret=secret, timestamp=timestamp)


@contextlib.contextmanager
def _as_value_error():
    """Control calls refuse as Python does (ValueError), carrying the API's sentence."""
    try:
        yield
    except (ApiError, ConsentRefused) as refused:
        raise ValueError(str(refused)) from None
