"""The reconnect banner: an organization's admins see, on every page, the connections that
stopped working."""

from __future__ import annotations

from portal.tenancy import org_scoped
from providers.models import ConnectionStatus, ProviderConnection


def reconnect_banner(request) -> dict:
    org = getattr(request, "org", None)
    # A callable: the template evaluates it only for admins, so other pages pay no query.
    return {
        "reconnect_needed": lambda: list(
            org_scoped(ProviderConnection, org).filter(status=ConnectionStatus.NEEDS_RECONNECT).order_by("label")
        )
    }
