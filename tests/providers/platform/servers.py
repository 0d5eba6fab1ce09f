"""The loopback base the platform fakes share: a real HTTP server on 127.0.0.1 (port chosen by the
system) answering from a thread, recording every request it gets.

A fake subclasses `LoopbackFake` and implements `answer(call)`; tests read `fake.calls`.
Fakes keep their state in memory and never touch the database (they answer from another thread).
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from requests.structures import CaseInsensitiveDict


@dataclass
class Call:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: CaseInsensitiveDict
    body: bytes

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, data) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


def form_reply(status: int, data: dict[str, str]) -> Reply:
    from urllib.parse import urlencode

    return Reply(status, urlencode(data).encode(), {"Content-Type": "application/x-www-form-urlencoded"})


def error_reply(status: int, message: str) -> Reply:
    return json_reply(status, {"error": "refused", "message": message})


class LoopbackFake:
    """Runs `answer` behind a ThreadingHTTPServer; `calls` is the request log, in arrival order."""

    def __init__(self):
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def answer(self, call: Call) -> Reply:
        raise NotImplementedError

    def start(self):
        self._server = _Server(self)
        # A short poll interval, because stop() waits up to one interval for the loop to notice.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.02)
        threading.Thread(target=serve, name=type(self).__name__, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def calls_to(self, path: str, method: str | None = None) -> list[Call]:
        """The requests whose path starts with `path` (and, if given, used `method`)."""
        return [c for c in self.calls if c.path.startswith(path) and method in (None, c.method)]

    def _receive(self, call: Call) -> Reply:
        with self.lock:
            self.calls.append(call)
            return self.answer(call)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = urlsplit(self.path)
        query = dict(parse_qsl(target.query, keep_blank_values=True))
        call = Call(self.command, target.path, query, CaseInsensitiveDict(self.headers.items()), body)
        reply = self.server.fake._receive(call)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format, *args) -> None:
        pass  # fake.calls is the log


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: LoopbackFake):
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)
