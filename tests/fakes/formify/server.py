"""The HTTP side particular to Formify: bearer checks, rate limits, and error answers.

Every /v1 answer carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (seconds
until the window resets), counted per access token (requests without one share a bucket); beyond
the limit the answer is 429 with those headers only (the reference names no Retry-After).
Reference: Formify API docs, "Rate Limiting".
"""

from __future__ import annotations

import math

from tests.fakes.base import Incoming, Reply, json_reply
from tests.fakes.formify.state import ApiError, FormifyState


def error_reply(error: ApiError) -> Reply:
    reply = json_reply(error.status, error.body())
    if error.status == 401:
        reply.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
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


def within_rate_limit(limiter: RateLimiter, incoming: Incoming, injected: Reply | None, answer) -> Reply:
    """`injected`, or `answer(incoming)` when the caller's window allows it, else a 429; each with
    the rate-limit headers (an injected fault's own headers win, so a test can send any)."""
    allowed, limit_headers = limiter.count(incoming.headers.get("Authorization") or "anonymous")
    if injected:
        reply = injected
    elif allowed:
        reply = answer(incoming)
    else:
        reply = error_reply(ApiError(429, "rate_limited", "Too many requests; wait until the rate limit resets."))
    reply.headers = {**limit_headers, **reply.headers}
    return reply
