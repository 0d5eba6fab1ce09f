"""Keeps secret links out of logs: signing links, download links and invitation links carry their
secret in the path, OAuth callbacks in the query, and Django logs the path of every 4xx answer."""

from __future__ import annotations

import logging
import re

SECRET_PATHS = re.compile(r"(/(?:sign|signed|invitations)/)[^/\s\"']+")
# OAuth callbacks carry the authorization code and state in the query.
SECRET_PARAMS = re.compile(r"([?&](?:code|state|token|access_token|refresh_token)=)[^&\s\"']+")


def redact(text: str) -> str:
    return SECRET_PARAMS.sub(r"\1[hidden]", SECRET_PATHS.sub(r"\1[hidden]", text))


class RedactSecretPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
