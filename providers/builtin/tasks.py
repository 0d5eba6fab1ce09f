"""Background work of the built-in provider."""

from __future__ import annotations

from providers.builtin.completion import request_finalize


def finalize_request(request_id: str) -> str:
    return request_finalize(request_id)
