"""The HTTP side: routing, bearer checks, rate limits, injected faults and the request log.

Every /v1 answer carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (seconds
until the window resets), counted per access token (requests without one share a bucket);
beyond the limit the answer is 429 with Retry-After.
Reference: Formify API docs, "Rate Limiting".
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from requests.structures import CaseInsensitiveDict

from tests.fakes.formify.api import ROUTES, FormifyApi, Incoming, Reply, error_reply, json_reply
from tests.fakes.formify.state import ApiError, FormifyState, RecordedRequest

INJECTED = {"error": "server_error", "message": "Formify had an internal error; try again later."}


@dataclass
class Fault:
    method: str  # or "*"
    pattern: re.Pattern
    status: int | None
    body: bytes | str | dict | list | None
    headers: dict[str, str]
    times: int
    delay: float

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and self.pattern.search(path) is not None

    def reply(self) -> Reply:
        if self.body is None or isinstance(self.body, dict | list):
            reply = json_reply(self.status, INJECTED if self.body is None else self.body)
        else:
            body = self.body.encode() if isinstance(self.body, str) else self.body
            reply = Reply(self.status, body, {"Content-Type": "text/plain; charset=utf-8"})
        reply.headers.update(self.headers)
        return reply


class RateLimiter:
    """A fixed window per key, started by its first request."""

    def __init__(self, state: FormifyState):
        self.state = state
        self.windows: dict[str, list[float]] = {}  # key -> [window start, requests in it]

    def count(self, key: str) -> tuple[bool, dict[str, str]]:
        """Counts one request: (allowed, the rate-limit headers to send)."""
        now, limit, length = self.state.now(), self.state.rate_limit, self.state.rate_window
        with self.state.lock:
            window = self.windows.get(key)
            if window is None or now >= window[0] + length:
                window = self.windows[key] = [now, 0]
            window[1] += 1
            used = window[1]
            reset = max(1, math.ceil(window[0] + length - now))
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - used)),
            "X-RateLimit-Reset": str(reset),
        }
        return used <= limit, headers


class FormifyHttp:
    """Answers requests, each on its own thread, for the account in `state`."""

    def __init__(self, state: FormifyState, api: FormifyApi):
        self.state = state
        self.api = api
        self.limiter = RateLimiter(state)
        self.faults: list[Fault] = []
        self.routes = [(method, re.compile(pattern + "$"), getattr(api, name)) for method, pattern, name in ROUTES]

    def answer(self, method: str, target: str, headers: CaseInsensitiveDict, body: bytes) -> Reply:
        with self.state.lock:
            self.state.requests.append(RecordedRequest(method, target, headers, body))
        url = urlsplit(target)
        fault = self._take_fault(method, url.path)
        if fault and fault.delay:
            time.sleep(fault.delay)  # outside the lock: other requests go on meanwhile
        injected = fault.reply() if fault and fault.status is not None else None
        incoming = Incoming(method, url.path, dict(parse_qsl(url.query, keep_blank_values=True)), headers, body)
        if not url.path.startswith("/v1/"):
            return injected or self._route(incoming)
        return self._within_rate_limit(incoming, injected)

    def _within_rate_limit(self, incoming: Incoming, injected: Reply | None) -> Reply:
        allowed, limit_headers = self.limiter.count(incoming.headers.get("Authorization") or "anonymous")
        if injected:
            reply = injected
        elif allowed:
            reply = self._route(incoming)
        else:
            reply = error_reply(ApiError(429, "rate_limited", "Too many requests; wait until the rate limit resets."))
            reply.headers["Retry-After"] = limit_headers["X-RateLimit-Reset"]
        # An injected fault's own headers win, so a test can send a 429 with any Retry-After.
        reply.headers = {**limit_headers, **reply.headers}
        return reply

    def _route(self, incoming: Incoming) -> Reply:
        path_known = False
        for method, pattern, endpoint in self.routes:
            match = pattern.match(incoming.path)
            if match is None:
                continue
            path_known = True
            if method == incoming.method:
                incoming.params = match.groupdict()
                return self._call(endpoint, incoming)
        if path_known:
            return error_reply(ApiError(405, "method_not_allowed", f"{incoming.method} is not allowed here."))
        return error_reply(ApiError(404, "not_found", f"There is no endpoint at {incoming.path}."))

    def _call(self, endpoint, incoming: Incoming) -> Reply:
        try:
            if incoming.path.startswith("/v1/") and not incoming.path.startswith("/v1/oauth/"):
                self.api.oauth.authenticate(incoming.headers.get("Authorization"), _scope_for(incoming.method))
            return endpoint(incoming)
        except ApiError as error:
            reply = error_reply(error)
            if error.status == 401:
                reply.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return reply

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.state.lock:
            fault = next((fault for fault in self.faults if fault.matches(method, path)), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
            return fault


def _scope_for(method: str) -> str:
    return "read" if method in ("GET", "HEAD") else "write"


class _Handler(BaseHTTPRequestHandler):
    server: FormifyServer
    server_version = "FakeFormify/1.0"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.http.answer(self.command, self.path, CaseInsensitiveDict(self.headers.items()), body)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a delay fault provoking its timeout)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format, *args) -> None:
        pass  # fake.requests is the log


class FormifyServer(ThreadingHTTPServer):
    daemon_threads = True  # a request stuck in a delay fault must not hold up stop()

    def __init__(self, http: FormifyHttp):
        self.http = http
        super().__init__(("127.0.0.1", 0), _Handler)
