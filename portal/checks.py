"""System checks for settings that `check --deploy` should catch before production does."""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.core.checks import Error, Warning, register


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False


@register()
def field_encryption_keys(app_configs, **kwargs):
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        return [
            Error(
                "FIELD_ENCRYPTION_KEYS is empty: provider tokens cannot be stored.",
                hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'",
                id="paraph.E001",
            )
        ]
    bad = [index for index, key in enumerate(keys, start=1) if not _is_fernet_key(key)]
    if bad:
        return [
            Error(
                f"FIELD_ENCRYPTION_KEYS entry {', '.join(map(str, bad))} is not a Fernet key "
                "(32 url-safe base64 bytes).",
                id="paraph.E002",
            )
        ]
    return []


@register(deploy=True)
def site_url_is_https(app_configs, **kwargs):
    if not settings.SITE_URL.startswith("https://"):
        return [
            Warning(
                "SITE_URL does not start with https://; links in e-mails and OAuth callbacks would be sent in clear.",
                id="paraph.W001",
            )
        ]
    return []


@register(deploy=True)
def simulated_providers_off(app_configs, **kwargs):
    if settings.SIMULATED_PROVIDERS and not settings.DEBUG:
        return [
            Error(
                "SIMULATED_PROVIDERS is on with DEBUG off: provider simulators are for development only.",
                hint="Unset SIMULATED_PROVIDERS (or set it to 0) in production.",
                id="paraph.E003",
            )
        ]
    return []
