"""What every part of the fake shares: the lock, the clock, the account and the recorded traffic."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from requests.structures import CaseInsensitiveDict


class ApiError(Exception):
    """A refused API call; becomes `{"error": code, "message": sentence, **extra}` with `status`."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict:
        return {"error": self.code, "message": self.message, **self.extra}


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, as the client sent it."""

    method: str
    path: str  # with the query string
    headers: CaseInsensitiveDict
    body: bytes

    def json(self):
        return json.loads(self.body)


class FormifyState:
    """The Formify account the fake serves. Every change happens under `lock` (re-entrant, so
    helpers can take it again); webhooks are sent after it is released, because a receiver may
    call back into the fake while it answers."""

    def __init__(self, client_id: str, client_secret: str):
        self.client_id = client_id
        self.client_secret = client_secret
        self.lock = threading.RLock()
        self.clock_offset = 0.0
        self.base_url = ""
        self.account = {
            "userId": new_id(),
            "emailAddress": "owner@example.com",
            "fullName": "Olivia Owner",
            "firstName": "Olivia",
            "lastName": "Owner",
            "accountId": new_id(),
            "accountName": "Example AB",
        }
        # Knobs a test may turn (see the package docstring).
        self.deny_consent = False
        self.rotate_refresh_tokens = False
        self.redirect_uris: list[str] | None = None  # None: any http(s) redirect URI is registered
        self.max_file_size = 50 * 1024 * 1024
        self.rate_limit = 600
        self.rate_window = 60
        self.webhook_transport = None  # callable(url, body, headers) -> status; None posts with requests
        self.documents: dict[str, dict] = {}
        self.files: dict[str, dict] = {}
        self.webhooks: dict[str, dict] = {}
        self.deliveries: list[dict] = []
        self.requests: list[RecordedRequest] = []
        self.download_requests: list[CaseInsensitiveDict] = []

    def now(self) -> float:
        # time.time() (not monotonic) so time-machine in a test moves the fake's clock too.
        return time.time() + self.clock_offset

    def iso(self, timestamp: float | None = None) -> str:
        moment = self.now() if timestamp is None else timestamp
        return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id() -> str:
    return str(uuid.uuid4())
