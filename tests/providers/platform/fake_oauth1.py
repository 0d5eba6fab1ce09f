"""FakeOAuth1Api: the same service as FakeSignApi (account, envelopes), authenticated by OAuth 1
with the PLAINTEXT signature (RFC 5849), three-legged or with personal access credentials.

Endpoints (beyond FakeSignApi's `/api/` ones):
- `POST /oauth/initiate`: temporary credentials for a client; needs `oauth_callback` and the
  signature `<client secret>&`. Answers `oauth_token`, `oauth_token_secret`,
  `oauth_callback_confirmed=true` (form encoded).
- `GET /oauth/authorize?oauth_token=<temporary token>`: the account owner's consent page. The
  owner approves (or, with `deny = True`, refuses): 302 to the client's callback with
  `oauth_token` and `oauth_verifier` (or `denied=<token>`).
- `POST /oauth/token`: the verifier traded for token credentials; needs the temporary token, its
  verifier and the signature `<client secret>&<temporary secret>`. Each temporary token works once.

Every `/api/` call must carry `Authorization: OAuth …` with `oauth_signature_method="PLAINTEXT"`,
a known consumer key and token, and `oauth_signature` = `<client secret>&<token secret>`; anything
else is a 401. `plaintext_checks` records (path, accepted) for every signed request.

Controls: `personal_credentials()` (what an account owner copies from the service's settings
page), `revoke(token_key)`, `deny`.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote, unquote, urlencode

from tests.providers.platform.fake_api import FakeSignApi
from tests.providers.platform.servers import Call, Reply, error_reply, form_reply

PARAM = re.compile(r'(\w+)="([^"]*)"')


def oauth_params(header: str) -> dict[str, str]:
    """The parameters of an `Authorization: OAuth …` header (RFC 5849 §3.5.1), decoded."""
    if not header.startswith("OAuth "):
        return {}
    return {name: unquote(value) for name, value in PARAM.findall(header)}


def plaintext(client_secret: str, token_secret: str = "") -> str:
    """The PLAINTEXT signature (RFC 5849 §3.4.4)."""
    return f"{quote(client_secret, safe='~')}&{quote(token_secret, safe='~')}"


class FakeOAuth1Api(FakeSignApi):
    def __init__(self, *, client_key: str = "paraph-client", client_secret: str | None = None):
        super().__init__()
        self.client_key = client_key
        self.client_secret = client_secret or secrets.token_urlsafe(16)
        self.clients: dict[str, str] = {self.client_key: self.client_secret}
        self.temporary: dict[str, dict] = {}  # token → {secret, client, callback, verifier}
        self.tokens: dict[str, tuple[str, str]] = {}  # token key → (client key, token secret)
        self.plaintext_checks: list[tuple[str, bool]] = []
        self.deny = False

    # -- controls -----------------------------------------------------------------------------

    def personal_credentials(self) -> dict[str, str]:
        client_key, client_secret = f"personal-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
        self.clients[client_key] = client_secret
        token_key, token_secret = secrets.token_urlsafe(12), secrets.token_urlsafe(16)
        self.tokens[token_key] = (client_key, token_secret)
        return {
            "client_key": client_key,
            "client_secret": client_secret,
            "token_key": token_key,
            "token_secret": token_secret,
        }

    def revoke(self, token_key: str) -> None:
        self.tokens.pop(token_key, None)

    # -- answering ----------------------------------------------------------------------------

    def answer(self, call: Call) -> Reply:
        if call.path == "/oauth/initiate" and call.method == "POST":
            return self._initiate(call)
        if call.path == "/oauth/authorize" and call.method == "GET":
            return self._consent(call)
        if call.path == "/oauth/token" and call.method == "POST":
            return self._token(call)
        return super().answer(call)

    def authenticated(self, call: Call) -> bool:
        params = oauth_params(call.headers.get("Authorization", ""))
        client_key, token_secret = self.tokens.get(params.get("oauth_token", ""), ("", ""))
        accepted = (
            params.get("oauth_signature_method") == "PLAINTEXT"
            and params.get("oauth_consumer_key") == client_key
            and client_key in self.clients
            and params.get("oauth_signature") == plaintext(self.clients[client_key], token_secret)
        )
        self.plaintext_checks.append((call.path, accepted))
        return accepted

    def _initiate(self, call: Call) -> Reply:
        params = oauth_params(call.headers.get("Authorization", ""))
        secret = self.clients.get(params.get("oauth_consumer_key", ""))
        accepted = secret is not None and params.get("oauth_signature") == plaintext(secret)
        self.plaintext_checks.append((call.path, accepted))
        if not accepted or params.get("oauth_signature_method") != "PLAINTEXT":
            return error_reply(401, "The client credentials were not accepted.")
        if not params.get("oauth_callback"):
            return error_reply(400, "oauth_callback is required.")
        token, token_secret = secrets.token_urlsafe(12), secrets.token_urlsafe(16)
        self.temporary[token] = {
            "secret": token_secret,
            "client": params["oauth_consumer_key"],
            "callback": params["oauth_callback"],
            "verifier": secrets.token_urlsafe(8),
        }
        return form_reply(
            200, {"oauth_token": token, "oauth_token_secret": token_secret, "oauth_callback_confirmed": "true"}
        )

    def _consent(self, call: Call) -> Reply:
        token = call.query.get("oauth_token", "")
        pending = self.temporary.get(token)
        if pending is None:
            return error_reply(400, "Unknown request token.")
        answer = {"denied": token} if self.deny else {"oauth_token": token, "oauth_verifier": pending["verifier"]}
        separator = "&" if "?" in pending["callback"] else "?"
        return Reply(302, b"", {"Location": pending["callback"] + separator + urlencode(answer)})

    def _token(self, call: Call) -> Reply:
        params = oauth_params(call.headers.get("Authorization", ""))
        pending = self.temporary.pop(params.get("oauth_token", ""), None)  # single use
        accepted = (
            pending is not None
            and params.get("oauth_consumer_key") == pending["client"]
            and params.get("oauth_signature") == plaintext(self.clients[pending["client"]], pending["secret"])
        )
        self.plaintext_checks.append((call.path, accepted))
        if not accepted or params.get("oauth_verifier") != pending["verifier"]:
            return error_reply(401, "The request token or its verifier was not accepted.")
        token_key, token_secret = secrets.token_urlsafe(12), secrets.token_urlsafe(16)
        self.tokens[token_key] = (pending["client"], token_secret)
        return form_reply(200, {"oauth_token": token_key, "oauth_token_secret": token_secret})
