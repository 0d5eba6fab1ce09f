"""Formify's OAuth 2 authorization server: the consent page's decision, codes, tokens, revocation.

Reference: Formify API docs, "oauth" (authorize URL, POST /oauth/token, POST /oauth/revoke).
The docs do not say refresh tokens rotate: a refresh answers with the same refresh token, which
lives 60 days from the consent. `rotate_refresh_tokens = True` makes every refresh issue a new
one and retires the old, for testing a client against rotating providers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes.formify.state import ApiError, FormifyState, new_id

ACCESS_TOKEN_LIFETIME = 3600
REFRESH_TOKEN_LIFETIME = 60 * 24 * 3600
CODE_LIFETIME = 600
SCOPES = {"read", "write", "read,write"}


class ConsentRefused(ValueError):
    """The consent page cannot even redirect back (unknown client or redirect URI)."""


@dataclass
class Grant:
    """One consent: the refresh token and every access token issued from it die together."""

    grant_id: str
    scope: str
    refresh_token: str
    refresh_expires_at: float
    revoked: bool = False
    refresh_dead: bool = False
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expires at


class OAuthServer:
    def __init__(self, state: FormifyState):
        self.state = state
        self.codes: dict[str, dict] = {}
        self.grants: dict[str, Grant] = {}

    # -- the consent page -------------------------------------------------------------------

    def consent(self, params: dict[str, str]) -> str:
        """The URL the consent page redirects to. Raises ConsentRefused when it must not redirect."""
        self._check_client_and_redirect(params)
        redirect_uri, state = params["redirect_uri"], params.get("state")
        problem = self._authorize_problem(params)
        if problem:
            return _with_params(redirect_uri, error=problem, state=state)
        if self.state.deny_consent:
            return _with_params(redirect_uri, error="access_denied", state=state)
        code = "fc_" + secrets.token_urlsafe(24)
        with self.state.lock:
            self.codes[code] = {
                "redirect_uri": redirect_uri,
                "scope": params["scope"],
                "challenge": params.get("code_challenge"),
                "expires_at": self.state.now() + CODE_LIFETIME,
                "grant_id": None,  # set when exchanged; a second use revokes that grant
            }
        return _with_params(redirect_uri, code=code, state=state)

    def _check_client_and_redirect(self, params: dict[str, str]) -> None:
        if params.get("client_id") != self.state.client_id:
            raise ConsentRefused("Unknown client_id.")
        redirect_uri = params.get("redirect_uri", "")
        if urlsplit(redirect_uri).scheme not in ("http", "https"):
            raise ConsentRefused("redirect_uri must be an absolute http(s) URL.")
        registered = self.state.redirect_uris
        if registered is not None and redirect_uri not in registered:
            raise ConsentRefused("redirect_uri is not registered for this client.")

    @staticmethod
    def _authorize_problem(params: dict[str, str]) -> str | None:
        if params.get("response_type") != "code":
            return "unsupported_response_type"
        if params.get("scope") not in SCOPES:
            return "invalid_scope"
        if params.get("code_challenge") and params.get("code_challenge_method") != "S256":
            return "invalid_request"
        return None

    # -- the token endpoint -----------------------------------------------------------------

    def token(self, form: dict[str, str]) -> dict:
        """POST /oauth/token. Raises ApiError 400 as the OAuth spec does (invalid_grant, ...)."""
        if form.get("client_id") != self.state.client_id or not hmac.compare_digest(
            form.get("client_secret", ""), self.state.client_secret
        ):
            raise _oauth_error("invalid_client", "The client_id or client_secret is wrong.")
        grant_type = form.get("grant_type")
        with self.state.lock:
            if grant_type == "authorization_code":
                grant = self._grant_for_code(form)
            elif grant_type == "refresh_token":
                grant = self._grant_for_refresh(form)
            else:
                raise _oauth_error("unsupported_grant_type", "grant_type must be authorization_code or refresh_token.")
            return self._issue(grant)

    def _grant_for_code(self, form: dict[str, str]) -> Grant:
        code = self.codes.get(form.get("code", ""))
        if code is None or code["expires_at"] <= self.state.now():
            raise _oauth_error("invalid_grant", "The authorization code is unknown or has expired.")
        if code["grant_id"]:
            # A replayed code may be stolen: RFC 6749 §4.1.2 says revoke what it was exchanged for.
            self.grants[code["grant_id"]].revoked = True
            raise _oauth_error("invalid_grant", "The authorization code has already been used.")
        if form.get("redirect_uri") != code["redirect_uri"]:
            raise _oauth_error("invalid_grant", "redirect_uri does not match the authorization request.")
        _check_pkce(code["challenge"], form.get("code_verifier"))
        grant = Grant(new_id(), code["scope"], _refresh_token(), self.state.now() + REFRESH_TOKEN_LIFETIME)
        self.grants[grant.grant_id] = grant
        code["grant_id"] = grant.grant_id
        return grant

    def _grant_for_refresh(self, form: dict[str, str]) -> Grant:
        grant = self._find_grant(refresh_token=form.get("refresh_token", ""))
        if grant is None or grant.revoked or grant.refresh_dead or grant.refresh_expires_at <= self.state.now():
            raise _oauth_error("invalid_grant", "The refresh token is invalid, expired or revoked.")
        if self.state.rotate_refresh_tokens:
            grant.refresh_token = _refresh_token()
        return grant

    def _issue(self, grant: Grant) -> dict:
        access_token = "fa_" + secrets.token_urlsafe(32)
        grant.access_tokens[access_token] = self.state.now() + ACCESS_TOKEN_LIFETIME
        return {
            "access_token": access_token,
            "expires_in": ACCESS_TOKEN_LIFETIME,
            "refresh_token": grant.refresh_token,
            "token_type": "Bearer",
            "scope": grant.scope,
        }

    # -- revocation and bearer checks -------------------------------------------------------

    def revoke(self, token: str) -> None:
        """POST /oauth/revoke: the token's whole grant ends. 400 when unknown or already revoked."""
        with self.state.lock:
            grant = self._find_grant(refresh_token=token) or self._find_grant(access_token=token)
            if grant is None or grant.revoked:
                raise _oauth_error("invalid_request", "The token is invalid or has already been revoked.")
            grant.revoked = True

    def authenticate(self, authorization: str | None, needs: str) -> Grant:
        """The grant behind a request's bearer token; ApiError 401 (or 403 for a missing scope)."""
        scheme, _, token = (authorization or "").partition(" ")
        with self.state.lock:
            grant = self._find_grant(access_token=token.strip()) if scheme.lower() == "bearer" else None
            expires_at = grant.access_tokens[token.strip()] if grant else 0
            if grant is None or grant.revoked or expires_at <= self.state.now():
                raise ApiError(401, "unauthorized", "The access token is missing, invalid, expired or revoked.")
        if needs not in grant.scope.split(","):
            raise ApiError(403, "insufficient_scope", f"The access token lacks the '{needs}' scope.")
        return grant

    def expire_access_tokens(self) -> None:
        with self.state.lock:
            for grant in self.grants.values():
                grant.access_tokens = dict.fromkeys(grant.access_tokens, 0.0)

    def revoke_refresh_tokens(self) -> None:
        with self.state.lock:
            for grant in self.grants.values():
                grant.refresh_dead = True

    def _find_grant(self, *, refresh_token: str = "", access_token: str = "") -> Grant | None:
        for grant in self.grants.values():
            if (refresh_token and grant.refresh_token == refresh_token) or access_token in grant.access_tokens:
                return grant
        return None


def _check_pkce(challenge: str | None, verifier: str | None) -> None:
    if not challenge:
        if verifier:  # RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt
            raise _oauth_error("invalid_grant", "code_verifier sent, but the authorization had no code_challenge.")
        return
    if not verifier:
        raise _oauth_error("invalid_grant", "code_verifier is required: the authorization carried a code_challenge.")
    digest = hashlib.sha256(verifier.encode()).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    if not hmac.compare_digest(expected, challenge):
        raise _oauth_error("invalid_grant", "code_verifier does not match the code_challenge.")


def _oauth_error(code: str, message: str) -> ApiError:
    # OAuth clients (oauthlib) read error/error_description; the rest of the API reads message.
    return ApiError(400, code, message, error_description=message)


def _refresh_token() -> str:
    return "fr_" + secrets.token_urlsafe(32)


def _with_params(url: str, **params: str | None) -> str:
    """`url` with `params` added to its query (None values left out)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, value) for key, value in params.items() if value is not None]
    return parts._replace(query=urlencode(query)).geturl()
