"""The reconnect banner: an organization's admins see, on every page, the connections that
stopped working."""

from __future__ import annotations

from functools import cache

from portal.kernel.tenancy import org_scoped
from providers.models import ConnectionStatus, ProviderConnection


def reconnect_banner(request) -> dict:
    org = getattr(request, "org", None)

    # A callable, so only pages that show the banner (to admins) pay for the query, and cached,
    # so the template's several looks at it cost one query.
    @cache
    def reconnect_needed() -> list[ProviderConnection]:
        needing = org_scoped(ProviderConnection, org).filter(status=ConnectionStatus.NEEDS_RECONNECT)
        return list(needing.order_by("label"))

    return {"reconnect_needed": reconnect_needed}
