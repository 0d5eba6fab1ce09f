"""The one HTTP layer every adapter speaks through: timeouts, retries with backoff and jitter for
idempotent calls, rate limits, one token refresh on 401, and failures mapped to ProviderError.

Nothing secret is logged: only the method, the path (without query) and the status.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

import requests

from providers.base import AuthExpired, ProviderError, UnreadableAnswer

log = logging.getLogger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
TIMEOUT = (5, 30)  # connect, read (seconds)
ATTEMPTS = 3  # per call, for idempotent calls that fail transiently
BACKOFF = 0.5  # seconds; doubled after each attempt, with jitter
# A rate limit that clears within this many seconds is waited out in place; a longer one is
# handed back to the caller (ProviderError.retry_after), which reschedules the work.
WAIT_IN_PLACE = 2.0


class TokenSource(Protocol):
    """Where a bearer token comes from (an OAuth 2 connection)."""

    def access_token(self) -> str: ...

    def refresh(self, rejected: str) -> str:
        """A new access token after `rejected` was refused; raises AuthExpired when none can be had."""

    def revoked(self, message: str) -> None:
        """Even a fresh token is refused: the access was withdrawn at the provider."""


class Authorizer(Protocol):
    """Writes a connection's `Authorization` header, whatever its connect kind (see
    `providers.connect.auth`)."""

    def headers(self, method: str, url: str) -> tuple[dict[str, str], str]:
        """The headers to send and a marker naming the credential used (handed back on a 401)."""

    def refresh(self, rejected: str) -> None:
        """After a 401: renew the credential `rejected`; raises AuthExpired when it cannot."""

    def revoked(self, message: str) -> None:
        """Even renewed credentials are refused: the access was withdrawn at the provider."""


class BearerTokens:
    """An Authorizer over a TokenSource: `Authorization: Bearer <token>`."""

    def __init__(self, tokens: TokenSource):
        self.tokens = tokens

    def headers(self, method: str, url: str) -> tuple[dict[str, str], str]:
        token = self.tokens.access_token()
        return {"Authorization": f"Bearer {token}"}, token

    def refresh(self, rejected: str) -> None:
        self.tokens.refresh(rejected)

    def revoked(self, message: str) -> None:
        self.tokens.revoked(message)


class ProviderHttp:
    """An HTTP session bound to one provider's API and, optionally, one connection's token."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        tokens: TokenSource | None = None,
        auth: Authorizer | None = None,
        timeout: tuple[float, float] | None = None,
        attempts: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.auth = auth or (BearerTokens(tokens) if tokens is not None else None)
        self.timeout = timeout or TIMEOUT
        self.attempts = attempts or ATTEMPTS
        self.sleep = sleep
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy or .netrc credentials picked up from the environment

    def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool | None = None,
        authorized: bool = True,
        allow_redirects: bool = True,
        expect: tuple[int, ...] = (),
        **kwargs,
    ) -> requests.Response:
        """The response to a call (2xx/3xx, or a status in `expect`); ProviderError otherwise.
        `path` is relative to the API base, or an absolute URL (then no token is sent)."""
        method = method.upper()
        absolute = path.startswith(("http://", "https://"))
        url = path if absolute else f"{self.base_url}/{path.lstrip('/')}"
        send_auth = authorized and not absolute and self.auth is not None
        retry = method in IDEMPOTENT if idempotent is None else idempotent
        headers = kwargs.pop("headers", {})
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            auth_headers, marker = self.auth.headers(method, url) if send_auth else ({}, None)
            response = self._send(method, url, {**headers, **auth_headers}, retry, attempt, allow_redirects, kwargs)
            if response is None:  # a transient failure that will be retried
                continue
            status = response.status_code
            if status < 400 or status in expect:
                return response
            if status == 401 and marker is not None:
                if refreshed:
                    message = f"{self.name} no longer accepts this connection; reconnect it."
                    self.auth.revoked(message)
                    raise AuthExpired(message)
                self.auth.refresh(marker)
                refreshed = True
                continue
            if status == 429:
                wait = rate_limit_wait(response)
                if retry and attempt < self.attempts and wait <= WAIT_IN_PLACE:
                    self.sleep(wait)
                    continue
                raise ProviderError(
                    f"{self.name} is limiting how fast Paraph may call it; Paraph will try again in {_duration(wait)}.",
                    retry_after=wait,
                )
            if status >= 500 and retry and attempt < self.attempts:
                self._backoff(attempt)
                continue
            raise error_for(self.name, response)

    def json(self, method: str, path: str, **kwargs):
        """The decoded JSON body of a call (None when the body is empty)."""
        response = self.request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise UnreadableAnswer(self.name, "the body is not JSON") from None

    def _send(self, method, url, extra, retry, attempt, allow_redirects, kwargs) -> requests.Response | None:
        headers = {"Accept": "application/json", **extra}
        started = time.monotonic()
        try:
            response = self.session.request(
                method, url, headers=headers, timeout=self.timeout, allow_redirects=allow_redirects, **kwargs
            )
        except requests.RequestException as exc:
            log.info("%s %s %s failed: %s", self.name, method, _path(url), type(exc).__name__)
            if retry and attempt < self.attempts:
                self._backoff(attempt)
                return None
            raise ProviderError(_unreachable(self.name, exc)) from None
        log.info("%s %s %s → %s in %.0f ms", self.name, method, _path(url), response.status_code, _ms(started))
        return response

    def _backoff(self, attempt: int) -> None:
        """Exponential backoff with full jitter, so workers that failed together don't retry together."""
        self.sleep(random.uniform(0, BACKOFF * 2 ** (attempt - 1)))


def rate_limit_wait(response: requests.Response) -> float:
    """Seconds to wait after a 429: Retry-After, else the provider's X-RateLimit-Reset, else a minute."""
    for header in ("Retry-After", "X-RateLimit-Reset"):
        value = response.headers.get(header, "").strip()
        try:
            return max(float(value), 0.0)
        except ValueError:
            continue
    return 60.0


def error_for(name: str, response: requests.Response) -> ProviderError:
    """A sentence for a refused call, with the provider's own message when it gives one."""
    status = response.status_code
    said = provider_message(response).rstrip(".")
    if status >= 500:
        return ProviderError(f"{name} had a problem ({status}){': ' + said if said else ''}; Paraph will try again.")
    if status == 404:
        return ProviderError(f"{name} does not know this item (404){': ' + said if said else ''}.", permanent=True)
    return ProviderError(f"{name} refused the request{': ' + said if said else f' ({status})'}.", permanent=True)


def provider_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("message", "error_description", "error"):
            if isinstance(body.get(key), str) and body[key].strip():
                return body[key].strip()[:300]
    return ""


def _unreachable(name: str, exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return f"{name} did not answer in time; Paraph will try again."
    return f"Paraph could not reach {name}; it will try again."


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(round(seconds), 1)} seconds"
    return f"{round(seconds / 60)} minutes"


def _path(url: str) -> str:
    return urlsplit(url).path


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
