"""Shared verifiers for signed webhook deliveries, used by adapters in `webhook_verify`:

- `hmac_verify`: an HMAC-SHA256 over "<timestamp>.<body>" (or the body alone) with the
  connection's secret, hex encoded, compared in constant time, the timestamp within a tolerance;
- `JwsVerifier`: a detached JWS (RFC 7515 appendix F: `header..signature`) over the raw body,
  signed with an asymmetric key the provider publishes by `kid`; keys are fetched once and
  cached, `alg: none` and symmetric algorithms are refused (a forger could pick them).

Every refusal raises WebhookRefused (answered 401, nothing stored).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from base64 import urlsafe_b64decode
from collections.abc import Callable

from django.core.cache import cache
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry

from providers.base import WebhookRefused

ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
KEY_CACHE_SECONDS = 24 * 60 * 60
UNKNOWN_KID_CACHE_SECONDS = 60  # an unknown kid is asked for at most once a minute (no key-fetch storm)


def hmac_verify(
    *, secret: str, body: bytes, signature: str, timestamp: str | None = None, tolerance: int = 300,
    now: float | None = None,
) -> None:
    """Checks `signature` = hex HMAC-SHA256(secret, "<timestamp>.<body>"), or over the body when the
    provider signs no timestamp; a timestamp older or newer than `tolerance` seconds is refused."""
    if not secret:
        raise WebhookRefused("This connection has no webhook secret; reconnect it.")
    if not signature:
        raise WebhookRefused("The webhook carries no signature.")
    message = body
    if timestamp is not None:
        try:
            sent = int(timestamp)
        except ValueError:
            raise WebhookRefused("The webhook's timestamp is not a number.") from None
        if abs((now if now is not None else time.time()) - sent) > tolerance:
            raise WebhookRefused("The webhook's timestamp is too old or in the future (a replay?).")
        message = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise WebhookRefused("The webhook's signature does not match.")


class JwsVerifier:
    """Verifies detached JWS signatures with keys fetched by `kid`.

    `fetch_key(kid)` returns the public key (PEM text or a JWK dict) or None when the provider does
    not know the kid; it is called at most once per kid per cache period."""

    def __init__(self, *, provider: str, fetch_key: Callable[[str], str | dict | None]):
        self.provider = provider
        self.fetch_key = fetch_key

    def verify(self, body: bytes, signature: str) -> dict:
        """The verified JOSE header; WebhookRefused when anything is off."""
        header = self._header(signature)
        key = self._key(header["kid"], header["alg"])
        try:
            jws.deserialize_compact(signature.strip(), key, algorithms=[header["alg"]], payload=body)
        except (JoseError, ValueError) as exc:
            raise WebhookRefused(f"The webhook's signature does not verify ({type(exc).__name__}).") from None
        return header

    def _header(self, signature: str) -> dict:
        parts = (signature or "").strip().split(".")
        if len(parts) != 3 or parts[1]:
            raise WebhookRefused("The webhook's signature is not a detached JWS.")
        try:
            header = json.loads(urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        except ValueError:
            raise WebhookRefused("The webhook's JWS header cannot be read.") from None
        if not isinstance(header, dict) or header.get("alg") not in ASYMMETRIC:
            raise WebhookRefused("The webhook's JWS uses an algorithm Paraph does not accept.")
        if not isinstance(header.get("kid"), str) or not header["kid"]:
            raise WebhookRefused("The webhook's JWS names no key (kid).")
        return header

    def _key(self, kid: str, alg: str):
        cache_key = f"webhook-jws:{self.provider}:{hashlib.sha256(kid.encode()).hexdigest()}"
        material = cache.get(cache_key)
        if material is None:
            material = self.fetch_key(kid) or ""
            cache.set(cache_key, material, KEY_CACHE_SECONDS if material else UNKNOWN_KID_CACHE_SECONDS)
        if not material:
            raise WebhookRefused("The webhook is signed with a key the provider does not publish.")
        try:
            if isinstance(material, dict):
                return JWKRegistry.import_key(material)
            kind = "EC" if alg.startswith("ES") else "OKP" if alg == "EdDSA" else "RSA"
            return JWKRegistry.import_key(material, kind)
        except (JoseError, ValueError, TypeError):
            raise WebhookRefused("The provider's published key cannot be read.") from None
