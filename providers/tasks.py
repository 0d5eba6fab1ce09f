"""Background work on provider connections. Tasks are thin: they call a service."""

from __future__ import annotations

from providers.tokens import tokens_refresh_expiring


def refresh_expiring_tokens() -> str:
    renewed, failed = tokens_refresh_expiring()
    return f"renewed {renewed} token(s), {failed} connection(s) need attention"
