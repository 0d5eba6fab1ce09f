"""The providers Paraph knows: an explicit map of id → class path, imported on first use."""

from __future__ import annotations

from functools import cache

from django.utils.module_loading import import_string

from providers.base import Provider

# Each provider's issue adds its line here.
PROVIDERS: dict[str, str] = {
    "builtin": "providers.builtin.provider.BuiltinProvider",
    "formify": "providers.formify.provider.FormifyProvider",
    "scrive": "providers.scrive.provider.ScriveProvider",
    "easyink": "providers.easyink.provider.EasyInkProvider",
    "transactionlink": "providers.transactionlink.provider.TransactionLinkProvider",
}


@cache
def _load(path: str) -> type[Provider]:
    return import_string(path)


def provider_class(provider_id: str) -> type[Provider]:
    """The class for `provider_id`; KeyError when Paraph does not know it."""
    return _load(PROVIDERS[provider_id])


def adapter_for(provider_id: str, connection=None) -> Provider:
    """The one factory: the adapter for a provider, acting for `connection` (None for providers that
    need no account). Every caller that talks to a provider gets its adapter here."""
    if connection is not None and connection.provider != provider_id:
        raise ValueError(f"connection {connection.pk} belongs to {connection.provider}, not {provider_id}")
    return provider_class(provider_id)(connection)


def provider_choices() -> list[tuple[str, str]]:
    """(id, name) of every provider that can be used on this installation (its settings present)."""
    return [(provider_id, provider_class(provider_id).name) for provider_id in available_providers()]


def available_providers() -> list[str]:
    """Providers whose settings are present on this installation."""
    return [provider_id for provider_id in PROVIDERS if provider_class(provider_id).configured()]


def provider_exists(provider_id: str) -> bool:
    return provider_id in PROVIDERS


def all_providers() -> list[type[Provider]]:
    """Every provider Paraph supports, enabled here or not (the connection screen lists them all)."""
    return [provider_class(provider_id) for provider_id in PROVIDERS]


def url_modules() -> list[str]:
    """URL modules of providers that have pages of their own (`Provider.urls`)."""
    return [cls.urls for cls in all_providers() if cls.urls]
