"""Background work on provider connections. Tasks are thin: they call a service."""

from __future__ import annotations

from providers.expiry import connections_warn_expiring
from providers.tokens import tokens_refresh_expiring


def refresh_expiring_tokens() -> str:
    renewed, failed = tokens_refresh_expiring()
    return f"renewed {renewed} token(s), {failed} connection(s) need attention"


def warn_expiring_connections() -> str:
    return f"warned about {connections_warn_expiring()} connection(s) whose access ends soon"
