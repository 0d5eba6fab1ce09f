"""Every URL pattern of the project, for tests that must cover new URLs automatically."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

# Third-party areas with their own access rules: accounts (allauth) and the operators' admin.
THIRD_PARTY_PREFIXES = ("accounts/", settings.ADMIN_URL)


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def portal_url_patterns() -> list[tuple[str, URLPattern]]:
    """(route, pattern) for each of Paraph's own URLs."""
    return [
        (route, entry)
        for route, entry in _walk(get_resolver().url_patterns)
        if not route.startswith(THIRD_PARTY_PREFIXES)
    ]
