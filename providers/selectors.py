"""Reads about providers for other apps' pages: what an organization can send with."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from portal.kernel.tenancy import org_scoped
from portal.models import Organization
from providers.models import ConnectionStatus, ProviderConnection
from providers.registry import available_providers, provider_class

SEPARATOR = ":"


def send_options(org: Organization) -> list[tuple[str, str]]:
    """(value, label) for a "Send with" choice: providers that need no account, then each of the
    organization's connections ("formify:12")."""
    available = [pid for pid in available_providers() if provider_class(pid).signs]
    options = [(pid, provider_class(pid).name) for pid in available if not provider_class(pid).connect]
    connections = org_scoped(ProviderConnection, org).filter(status__in=ConnectionStatus.live(), provider__in=available)
    for connection in connections.order_by("provider", "label"):
        label = f"{provider_class(connection.provider).name} — {connection.label}"
        if connection.status == ConnectionStatus.NEEDS_RECONNECT:
            label += " (needs reconnecting)"
        options.append((send_option_value(connection.provider, connection), label))
    return options


def send_option_value(provider_id: str, connection: ProviderConnection | None) -> str:
    if connection is None:
        return provider_id
    return f"{provider_id}{SEPARATOR}{connection.pk}"


def send_option_parse(org: Organization, value: str) -> tuple[str, ProviderConnection | None]:
    """(provider id, connection) for a chosen option; ValidationError when it is not the org's."""
    provider_id, _, connection_id = (value or "").partition(SEPARATOR)
    if not connection_id:
        return provider_id, None
    connection = (
        org_scoped(ProviderConnection, org).filter(pk=connection_id, provider=provider_id).first()
        if connection_id.isdigit()
        else None
    )
    if connection is None:
        raise ValidationError("Choose one of your organization's connections.")
    return provider_id, connection
