"""What every part of the fake shares: the error shape, ids and timestamps."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

from tests.fakes.base import Reply

_ids = itertools.count(8222115557375000000)


class ApiError(Exception):
    """A refused call: `{error_type, error_message, http_code}` (Scrive's "Errors" section)."""

    def __init__(self, status: int, error_type: str, message: str):
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message

    def reply(self) -> Reply:
        body = {"error_type": self.error_type, "error_message": self.message, "http_code": self.status}
        return Reply(self.status, json.dumps(body).encode(), {"Content-Type": "application/json"})


def new_id() -> str:
    """Scrive ids are decimal digits in strings ("8222115557375075439")."""
    return str(next(_ids))


def timestamp(moment: float) -> str:
    """As in the reference's examples: "2017-01-13T10:38:49.590815Z"."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
