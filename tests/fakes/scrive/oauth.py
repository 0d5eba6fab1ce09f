"""OAuth 1.0 with the PLAINTEXT signature, as Scrive's Document API reference describes it
("Authentication": personal access credentials, and the three-legged workflow with privileges).

The `Authorization` header is read with or without the `OAuth ` prefix (Scrive's examples have
none, RFC 5849 clients send it), its values with or without percent-encoding (Scrive's examples
are raw, RFC 5849 clients encode `&` as `%26`), and `oauth_realm` is ignored.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import unquote, urlencode

from tests.fakes.scrive.state import ApiError

PRIVILEGES = {"DOC_CREATE", "DOC_CHECK", "DOC_SEND", "FULL_ACCESS"}
PARAM = re.compile(r'\s*([A-Za-z_]+)\s*=\s*"([^"]*)"\s*')


@dataclass
class Token:
    key: str
    secret: str
    client_key: str
    privileges: set[str]
    revoked: bool = False


@dataclass
class Temporary:
    key: str
    secret: str
    client_key: str
    callback: str
    privileges: set[str]
    verifier: str = ""


@dataclass
class Clients:
    """The account's client credentials (Paraph's registered one and the personal one), the tokens
    granted with them, and the temporary credentials of three-legged flows under way."""

    clients: dict[str, str] = field(default_factory=dict)  # client key -> client secret
    tokens: dict[str, Token] = field(default_factory=dict)
    temporary: dict[str, Temporary] = field(default_factory=dict)


def parse_header(value: str | None) -> dict[str, str]:
    """The oauth_* parameters of an Authorization header; ApiError 401 when there are none."""
    text = (value or "").strip()
    if text[:6].lower() == "oauth ":
        text = text[6:]
    params = {}
    for part in text.split(","):
        if not part.strip():
            continue
        match = PARAM.fullmatch(part)
        if match is None:
            raise unauthorised("The Authorization header could not be read.")
        params[match.group(1)] = unquote(match.group(2))
    if params.get("oauth_signature_method") != "PLAINTEXT":
        raise unauthorised("Only the PLAINTEXT signature method is supported.")
    return params


def unauthorised(detail: str = "") -> ApiError:
    message = "No valid access credentials were provided. Please refer to our API documentation."
    return ApiError(401, "invalid_authorisation", f"{message} {detail}".strip())


def split_signature(signature: str) -> tuple[str, str]:
    client_secret, _, token_secret = signature.partition("&")
    return client_secret, token_secret


def authenticate(clients: Clients, header: str | None, privilege: str) -> Token:
    """The token an API call is made with; 401 invalid_authorisation, or 403
    insufficient_privileges when the token was not granted `privilege`."""
    params = parse_header(header)
    client_key, token_key = params.get("oauth_consumer_key", ""), params.get("oauth_token", "")
    client_secret, token_secret = split_signature(params.get("oauth_signature", ""))
    token = clients.tokens.get(token_key)
    if (
        token is None
        or token.revoked
        or token.client_key != client_key
        or not secrets.compare_digest(clients.clients.get(client_key, "\0"), client_secret)
        or not secrets.compare_digest(token.secret, token_secret)
    ):
        raise unauthorised()
    if privilege and not ({privilege, "FULL_ACCESS"} & token.privileges):
        raise ApiError(
            403,
            "insufficient_privileges",
            f"The access credentials provided do not have sufficient privileges for this request ({privilege}).",
        )
    return token


def temporary_credentials(clients: Clients, header: str | None, query: dict[str, str]) -> bytes:
    """GET /oauth/temporarycredentials?privileges=A+B → form-encoded oauth_token, secret, confirmed."""
    params = parse_header(header)
    client_key = params.get("oauth_consumer_key", "")
    client_secret, _ = split_signature(params.get("oauth_signature", ""))
    if not secrets.compare_digest(clients.clients.get(client_key, "\0"), client_secret):
        raise unauthorised()
    callback = params.get("oauth_callback", "")
    if not callback:
        raise ApiError(400, "request_parameters_missing", "The parameter(s) oauth_callback were missing.")
    asked = set(re.split(r"[+ ]", query.get("privileges", "")) ) - {""}
    if not asked or asked - PRIVILEGES:
        allowed = "DOC_CREATE, DOC_CHECK, DOC_SEND or FULL_ACCESS"
        raise ApiError(400, "request_parameters_invalid", f"privileges must be {allowed}.")
    temporary = Temporary(_key(), secrets.token_hex(8), client_key, callback, asked)
    clients.temporary[temporary.key] = temporary
    return urlencode(
        {"oauth_token": temporary.key, "oauth_token_secret": temporary.secret, "oauth_callback_confirmed": "true"}
    ).encode()


def authorize(clients: Clients, token_key: str, *, grant: bool) -> str:
    """What the authorization page redirects the user to once they grant (or deny) access."""
    temporary = clients.temporary.get(token_key)
    if temporary is None:
        raise ValueError("Unknown or used temporary credentials.")
    joiner = "&" if "?" in temporary.callback else "?"
    if not grant:
        clients.temporary.pop(token_key)
        return f"{temporary.callback}{joiner}=&oauth_token={token_key}&denied=true"
    temporary.verifier = secrets.token_hex(8)
    return f"{temporary.callback}{joiner}=&oauth_token={token_key}&oauth_verifier={temporary.verifier}"


def token_credentials(clients: Clients, header: str | None) -> bytes:
    """GET /oauth/tokencredentials with the temporary token and the verifier → token credentials."""
    params = parse_header(header)
    temporary = clients.temporary.get(params.get("oauth_token", ""))
    client_secret, token_secret = split_signature(params.get("oauth_signature", ""))
    if (
        temporary is None
        or not temporary.verifier
        or temporary.client_key != params.get("oauth_consumer_key")
        or not secrets.compare_digest(clients.clients.get(temporary.client_key, "\0"), client_secret)
        or not secrets.compare_digest(temporary.secret, token_secret)
        or not secrets.compare_digest(temporary.verifier, params.get("oauth_verifier", ""))
    ):
        raise unauthorised()
    clients.temporary.pop(temporary.key)
    token = Token(_key(), secrets.token_hex(8), temporary.client_key, temporary.privileges)
    clients.tokens[token.key] = token
    return urlencode({"oauth_token": token.key, "oauth_token_secret": token.secret}).encode()


def _key() -> str:
    return f"{secrets.token_hex(8)}_{secrets.randbelow(99999)}"


def new_client_key() -> str:
    return _key()
