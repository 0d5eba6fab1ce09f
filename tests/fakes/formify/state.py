"""What every part of the fake shares: the lock, the clock and request log (from the shared fake
base), the account, and the knobs for the choices Formify's documentation leaves open."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tests.fakes.base import FakeServer, RecordedRequest

__all__ = ["ApiError", "FormifyState", "RecordedRequest", "new_id"]

# How the fake writes timestamps in answers (assumption 7 in the package docstring).
TIMESTAMP_FORMATS = ("iso", "naive", "epoch")
LIST_ORDERS = ("oldest_first", "newest_first")


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


class FormifyState(FakeServer):
    """The Formify account the fake serves. Every change happens under `lock` (re-entrant, so
    helpers can take it again); webhooks are sent after it is released, because a receiver may
    call back into the fake while it answers."""

    name = "FakeFormify/1.0"

    def __init__(self, client_id: str, client_secret: str):
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
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
        self.timestamp_format = "iso"
        self.list_order = "oldest_first"
        self.documents: dict[str, dict] = {}
        self.files: dict[str, dict] = {}
        self.webhooks: dict[str, dict] = {}
        self.deliveries: list[dict] = []
        self.download_requests: list = []  # headers of each pre-signed download

    def iso(self, timestamp: float | None = None) -> str:
        """A timestamp as the fake writes it in answers (`timestamp_format`)."""
        moment = self.now() if timestamp is None else timestamp
        if self.timestamp_format == "epoch":
            return str(int(moment))
        written = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return written if self.timestamp_format == "naive" else written + "Z"

    def event_date(self) -> str:
        """A webhook event's `date`: ISO 8601 in UTC, as the reference's examples write it."""
        return datetime.fromtimestamp(self.now(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id() -> str:
    return str(uuid.uuid4())
