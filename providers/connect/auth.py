"""The `Authorization` header for a connection, by its provider's connect kind."""

from __future__ import annotations

from providers.base import ConnectKind, Provider
from providers.http import Authorizer, BearerTokens
from providers.models import ProviderConnection


def connection_auth(adapter: Provider, connection: ProviderConnection) -> Authorizer:
    """The Authorizer an adapter hands its ProviderHttp."""
    kind = adapter.connect
    if kind == ConnectKind.OAUTH2:
        from providers.oauth import ConnectionTokens

        return BearerTokens(ConnectionTokens(connection, adapter.oauth_client()))
    if kind == ConnectKind.OAUTH1:
        from providers.connect.oauth1 import OAuth1Plaintext

        return OAuth1Plaintext(connection)
    if kind == ConnectKind.API_CREDENTIALS:
        from providers.connect.api_credentials import ApiCredentials

        return ApiCredentials(connection, adapter)
    raise ValueError(f"{adapter.name} connects no account")
