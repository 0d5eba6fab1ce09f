"""The shared base of every provider fake: a real HTTP server on 127.0.0.1 in a thread, plus the
controls a test turns regardless of provider.

A fake subclasses `FakeServer`, lists its `routes` and answers `Incoming` requests with `Reply`s:

    class FakeExample(FakeServer):
        name = "fake-example"

        def routes(self):
            return [("GET", "/v1/things/(?P<thing_id>[^/]+)", self.get_thing)]

        def get_thing(self, incoming):
            return json_reply(200, {"thingId": incoming.params["thing_id"]})

    with FakeExample() as fake:           # or fake = FakeExample().start(); ...; fake.stop()
        requests.get(f"{fake.base_url}/v1/things/1")

Controls every fake has:

- `base_url` — "http://127.0.0.1:<port>" once started.
- `fail_next(method, path_pattern, *, status=500, body=None, headers=None, times=1, delay=0.0,
  content_type=None)` — the next `times` requests whose method is `method` ("*": any) and whose
  path (without the query) matches the regex `path_pattern` (re.search) wait `delay` seconds, then
  answer `status` with `body` (None: the fake's own error body for that status; dict/list: JSON;
  str/bytes: as is, text/plain unless `content_type` says otherwise). With `status=None` the
  request is answered normally after the delay — it still takes effect even when the client has
  given up waiting, as a real timeout can.
- `time_out_next(method, path_pattern, *, seconds=1.0, times=1)` — the same, named for what it is.
- `answer_html_next(method, path_pattern, *, status=200, times=1)` — an HTML page instead of the
  API's answer (a proxy's or load balancer's error page).
- `now()` / `advance(seconds)` — the fake's clock: `time.time()` (so time-machine in a test moves
  it too) plus an offset that `advance` moves.
- `requests` — every request received, in order, as `RecordedRequest(method, path, headers, body)`
  (path with its query string; headers case-insensitive), and `requests_to(method, path)`.
- `lock` — re-entrant; fakes change their state under it.
- `webhook_transport` — None posts webhook calls with `requests`; a callable(url, body, headers)
  returning the receiver's status replaces it (a test hands calls to Django's test client), and
  `post_webhook(url, body, headers)` sends one call through it (None: receiver unreachable).

Subclasses override `routes()`, and may override `error_reply(status, message)` (their error body
shape), `respond(incoming, injected)` (to add headers to every answer, count rate limits …) and
`authenticate(incoming)`.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

HTML_PAGE = b"<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


@dataclass
class Incoming:
    """One request as a route handler sees it."""

    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: CaseInsensitiveDict
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # the route's named groups

    def json(self):
        """The JSON body; ValueError when it is not JSON (the fake turns that into its 400)."""
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload) -> Reply:
    return Reply(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, as the client sent it."""

    method: str
    path: str  # with the query string
    headers: CaseInsensitiveDict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Fault:
    method: str  # or "*"
    pattern: re.Pattern
    status: int | None
    body: bytes | str | dict | list | None
    headers: dict[str, str]
    times: int
    delay: float
    content_type: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and self.pattern.search(path) is not None


Handler = Callable[[Incoming], Reply]


class FakeServer:
    """A provider's API on a loopback port, with faults, a clock and a request log."""

    name = "fake-provider"

    def __init__(self):
        self.lock = threading.RLock()
        self.clock_offset = 0.0
        self.base_url = ""
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        # Where webhook calls go: callable(url, body, headers) -> status; None posts with requests.
        self.webhook_transport: Callable[[str, bytes, dict], int] | None = None
        self._server: _Server | None = None
        self._routes: list[tuple[str, re.Pattern, Handler]] | None = None

    # -- running ------------------------------------------------------------------------------

    def start(self):
        self._server = _Server(self)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval, because stop() waits up to one interval for the loop to notice.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.02)
        threading.Thread(target=serve, name=self.name, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- the clock ----------------------------------------------------------------------------

    def now(self) -> float:
        # time.time() (not monotonic) so time-machine in a test moves the fake's clock too.
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Moves the fake's clock (and only the fake's) forward."""
        with self.lock:
            self.clock_offset += seconds

    # -- faults -------------------------------------------------------------------------------

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
        content_type: str | None = None,
    ) -> None:
        """See the module docstring."""
        fault = Fault(
            method.upper(), re.compile(path_pattern), status, body, dict(headers or {}), times, delay, content_type
        )
        with self.lock:
            self.faults.append(fault)

    def time_out_next(self, method: str, path_pattern: str, *, seconds: float = 1.0, times: int = 1) -> None:
        """The next calls answer normally, but only after `seconds` (longer than the client waits)."""
        self.fail_next(method, path_pattern, status=None, delay=seconds, times=times)

    def answer_html_next(self, method: str, path_pattern: str, *, status: int = 200, times: int = 1) -> None:
        """The next calls get an HTML page (`status`) instead of the API's answer."""
        self.fail_next(method, path_pattern, status=status, body=HTML_PAGE, times=times, content_type="text/html")

    # -- the request log ----------------------------------------------------------------------

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Recorded requests with this method whose path (query left out) is exactly `path`."""
        with self.lock:
            return [r for r in self.requests if r.method == method.upper() and r.path.partition("?")[0] == path]

    # -- webhooks -----------------------------------------------------------------------------

    def post_webhook(self, url: str, body: bytes, headers: dict) -> int | None:
        """Sends one webhook call: the receiver's status, or None when it could not be reached."""
        transport = self.webhook_transport or _post_with_requests
        try:
            return transport(url, body, headers)
        except (requests.RequestException, OSError):
            return None

    # -- what subclasses provide --------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Handler]]:
        """(method, path regex matched in full, handler)."""
        return []

    def error_reply(self, status: int, message: str) -> Reply:
        """The provider's error answer; also the body of an injected fault given no body."""
        return json_reply(status, {"message": message})

    def respond(self, incoming: Incoming, injected: Reply | None) -> Reply:
        """The answer to a request: the injected fault's, else the route's."""
        return injected or self.route(incoming)

    # -- answering ----------------------------------------------------------------------------

    def answer(self, method: str, target: str, headers: CaseInsensitiveDict, body: bytes) -> Reply:
        with self.lock:
            self.requests.append(RecordedRequest(method, target, headers, body))
        url = urlsplit(target)
        fault = self._take_fault(method, url.path)
        if fault and fault.delay:
            time.sleep(fault.delay)  # outside the lock: other requests go on meanwhile
        injected = self._fault_reply(fault) if fault and fault.status is not None else None
        incoming = Incoming(method, url.path, dict(parse_qsl(url.query, keep_blank_values=True)), headers, body)
        return self.respond(incoming, injected)

    def route(self, incoming: Incoming) -> Reply:
        if self._routes is None:
            self._routes = [(method, re.compile(pattern + "$"), handler) for method, pattern, handler in self.routes()]
        path_known = False
        for method, pattern, handler in self._routes:
            match = pattern.match(incoming.path)
            if match is None:
                continue
            path_known = True
            if method == incoming.method:
                incoming.params = match.groupdict()
                return handler(incoming)
        if path_known:
            return self.error_reply(405, f"{incoming.method} is not allowed on {incoming.path}.")
        return self.error_reply(404, f"There is nothing at {incoming.path}.")

    def _fault_reply(self, fault: Fault) -> Reply:
        if fault.body is None:
            reply = self.error_reply(fault.status, "Injected failure: the service had a problem; try again later.")
        elif isinstance(fault.body, dict | list):
            reply = json_reply(fault.status, fault.body)
        else:
            content = fault.body.encode() if isinstance(fault.body, str) else fault.body
            reply = Reply(fault.status, content, {"Content-Type": "text/plain; charset=utf-8"})
        if fault.content_type:
            reply.headers["Content-Type"] = fault.content_type
        reply.headers.update(fault.headers)
        return reply

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            fault = next((fault for fault in self.faults if fault.matches(method, path)), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
            return fault


def _post_with_requests(url: str, body: bytes, headers: dict) -> int:
    return requests.post(url, data=body, headers=headers, timeout=5, allow_redirects=False).status_code


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.fake.answer(self.command, self.path, CaseInsensitiveDict(self.headers.items()), body)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a delay fault provoking its timeout)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def version_string(self) -> str:
        return self.server.fake.name

    def log_message(self, format, *args) -> None:
        pass  # fake.requests is the log


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a request stuck in a delay fault must not hold up stop()

    def __init__(self, fake: FakeServer):
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)
