"""Connect kinds as strategies (`providers.base.ConnectKind`): how an account is connected, what is
stored (encrypted, on `ProviderConnection.credentials`), and how each kind writes its
`Authorization` header through the one HTTP layer.

- OAuth 2 authorization code: `providers.oauth` (consent URL with state and PKCE, code exchange,
  refresh ahead of expiry and after a 401).
- OAuth 1 with the PLAINTEXT signature: `oauth1` (three-legged, or pasted personal credentials).
- API credentials: `api_credentials` (a static bearer token, or key + secret exchanged for a JWT
  that is refreshed).

`auth.connection_auth` picks the right one for a connection.
"""
