"""EasyInk's identity provider: the authorize page's decision (PKCE S256 required), codes and
JWT access tokens.

Reference: EasyInk Public API, "Authentication" (Step 2: authorize, Step 3: POST
{idp}/connect/token with grant_type, client_id, client_secret, code, redirect_uri, code_verifier).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import urlencode, urlsplit

from tests.fakes.base import Reply, json_reply

SCOPE = "openid hermes_api hermes_idp profile"
CODE_LIFETIME = 300


class ConsentRefused(ValueError):
    """The authorize page cannot redirect back at all (unknown client or redirect URI)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_challenge(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())


class IdentityProvider:
    def __init__(self, fake):
        self.fake = fake
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, float] = {}  # access token -> exp
        self.refresh_tokens: set[str] = set()
        self.token_calls = 0

    def consent(self, params: dict[str, str]) -> str:
        """Where the authorize page sends the browser back (code and state, or an error)."""
        fake = self.fake
        if params.get("client_id") != fake.client_id:
            raise ConsentRefused("Unknown client_id.")
        redirect_uri = params.get("redirect_uri", "")
        if urlsplit(redirect_uri).scheme not in ("http", "https"):
            raise ConsentRefused("redirect_uri must be an absolute URL.")
        state = params.get("state")
        if params.get("response_type") != "code":
            return _redirect(redirect_uri, error="unsupported_response_type", state=state)
        if set(params.get("scope", "").split()) - set(SCOPE.split()) or "hermes_api" not in params.get("scope", ""):
            return _redirect(redirect_uri, error="invalid_scope", state=state)
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return _redirect(redirect_uri, error="invalid_request", state=state)
        if fake.deny_consent:
            return _redirect(redirect_uri, error="access_denied", state=state)
        code = secrets.token_hex(16)
        with fake.lock:
            self.codes[code] = {
                "redirect_uri": redirect_uri,
                "challenge": params["code_challenge"],
                "expires_at": fake.now() + CODE_LIFETIME,
            }
        return _redirect(redirect_uri, code=code, state=state)

    def token(self, form: dict[str, str]) -> Reply:
        fake = self.fake
        with fake.lock:
            self.token_calls += 1
            if form.get("client_id") != fake.client_id or form.get("client_secret") != fake.client_secret:
                return _oauth_error(400, "invalid_client")
            grant = form.get("grant_type")
            if grant == "refresh_token":
                if form.get("refresh_token") not in self.refresh_tokens:
                    return _oauth_error(400, "invalid_grant")
                return json_reply(200, self._issue())
            if grant != "authorization_code":
                return _oauth_error(400, "unsupported_grant_type")
            entry = self.codes.pop(form.get("code", ""), None)
            if entry is None or entry["expires_at"] < fake.now():
                return _oauth_error(400, "invalid_grant")
            if entry["redirect_uri"] != form.get("redirect_uri"):
                return _oauth_error(400, "invalid_grant")
            if pkce_challenge(form.get("code_verifier", "")) != entry["challenge"]:
                return _oauth_error(400, "invalid_grant")
            return json_reply(200, self._issue())

    def _issue(self) -> dict:
        fake = self.fake
        exp = int(fake.now()) + fake.token_lifetime
        claims = {"sub": fake.user_id, "name": fake.user_name, "email": fake.user_email, "exp": exp,
                  "scope": SCOPE.split(), "client_id": fake.client_id}
        token = ".".join(
            (_b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()), _b64(json.dumps(claims).encode()),
             _b64(secrets.token_bytes(32)))
        )
        self.tokens[token] = exp
        answer = {"access_token": token, "token_type": "Bearer", "scope": SCOPE}
        if fake.answer_expires_in:
            answer["expires_in"] = fake.token_lifetime
        if fake.issue_refresh_tokens:
            refresh = secrets.token_hex(24)
            self.refresh_tokens.add(refresh)
            answer["refresh_token"] = refresh
        return answer

    def authenticate(self, header: str | None) -> bool:
        """True when the bearer token was issued here and its `exp` has not passed."""
        token = (header or "").removeprefix("Bearer ").strip()
        exp = self.tokens.get(token)
        return exp is not None and exp > self.fake.now()

    def expire_tokens(self) -> None:
        with self.fake.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)


def _redirect(uri: str, **params) -> str:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return f"{uri}{'&' if '?' in uri else '?'}{query}"


def _oauth_error(status: int, code: str) -> Reply:
    return json_reply(status, {"error": code})
