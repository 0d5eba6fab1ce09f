"""FakeSignApi: a small e-signature service on loopback, authenticated by API credentials, with
published webhook signing keys.

Endpoints:
- `POST /auth/authorize` with JSON `{"key": …, "secret": …}`: 200 `{"access_token": <JWT>,
  "expires_in": <seconds>}`, or 401 when the pair is unknown or the key was refused since.
- `GET /api/account`: `{"id", "name", "email"}` of the account.
- `GET /api/envelopes/<id>`: `{"id", "status", "participants": [{"id", "status"}]}`; an id listed
  in `malformed` is answered without its `status` field; an unknown id is a 404.
- `GET /keys/<kid>`: the public JWK of a webhook signing key (no authentication); 404 for a kid it
  never published; 500 while `keys_down` is set (an outage of the key server).

Every `/api/` call must carry `Authorization: Bearer <token>` with a static token the account
issued, or a JWT from `/auth/authorize` that has not expired; anything else is a 401.

Controls: `issue_token()`, `add_key_pair()`, `refuse_key()`, `expire_access_tokens()`,
`revoke_token()`, `remote_envelope()`, `new_signing_key()`, `sign_detached()`.
"""

from __future__ import annotations

import itertools
import secrets
import time

from joserfc import jws, jwt
from joserfc.jwk import OctKey, RSAKey

from tests.providers.platform.servers import Call, LoopbackFake, Reply, error_reply, json_reply

ACCOUNT = {"id": "acct-1", "name": "Platform Test Account", "email": "owner@example.com"}


class FakeSignApi(LoopbackFake):
    def __init__(self, *, token_lifetime: int = 3600):
        super().__init__()
        self.token_lifetime = token_lifetime
        self.static_tokens: set[str] = set()
        self.key_pairs: dict[str, str] = {}  # API key → secret
        self.refused_keys: set[str] = set()
        self.live_jwts: dict[str, float] = {}  # JWT → when it expires (epoch seconds)
        self.envelopes: dict[str, dict] = {}
        self.malformed: set[str] = set()
        self.signing_keys: dict[str, RSAKey] = {}
        self.keys_down = False
        self._jwt_key = OctKey.generate_key(256)
        self._numbers = itertools.count(1)

    # -- controls -----------------------------------------------------------------------------

    def issue_token(self) -> str:
        token = f"static-{secrets.token_urlsafe(16)}"
        self.static_tokens.add(token)
        return token

    def add_key_pair(self) -> tuple[str, str]:
        key, secret = f"key-{next(self._numbers)}", secrets.token_urlsafe(24)
        self.key_pairs[key] = secret
        return key, secret

    def refuse_key(self, key: str) -> None:
        self.refused_keys.add(key)

    def expire_access_tokens(self) -> None:
        """Every JWT handed out so far stops working (the service's clock passed their expiry)."""
        self.live_jwts.clear()

    def revoke_token(self, token: str) -> None:
        self.static_tokens.discard(token)

    def remote_envelope(self, remote_id: str, status: str = "sent", **participants: str) -> None:
        """Sets what `GET /api/envelopes/<remote_id>` answers: participants by their remote id."""
        self.envelopes[remote_id] = {
            "id": remote_id,
            "status": status,
            "participants": [{"id": pid, "status": s} for pid, s in participants.items()],
        }

    def new_signing_key(self) -> str:
        """Publishes a fresh RSA webhook signing key; returns its kid."""
        kid = f"kid-{secrets.token_hex(6)}"
        self.signing_keys[kid] = RSAKey.generate_key(2048, parameters={"kid": kid})
        return kid

    def sign_detached(self, body: bytes, kid: str, *, header: dict | None = None, key=None) -> str:
        """A detached JWS (`header..signature`) over `body`, as the service signs its webhooks."""
        protected = header or {"alg": "RS256", "kid": kid}
        compact = jws.serialize_compact(protected, body, key or self.signing_keys[kid], algorithms=[protected["alg"]])
        head, _, signature = compact.split(".")
        return f"{head}..{signature}"

    def api_calls(self) -> list[Call]:
        return self.calls_to("/api/")

    # -- answering ----------------------------------------------------------------------------

    def answer(self, call: Call) -> Reply:
        if call.path == "/auth/authorize" and call.method == "POST":
            return self._authorize(call)
        if call.path.startswith("/keys/") and call.method == "GET":
            if self.keys_down:
                return error_reply(500, "The key server is down.")
            key = self.signing_keys.get(call.path.removeprefix("/keys/"))
            return json_reply(200, key.as_dict(private=False)) if key else error_reply(404, "No such key.")
        if call.path.startswith("/api/"):
            if not self.authenticated(call):
                return error_reply(401, "The credentials were not accepted.")
            return self._api(call)
        return error_reply(404, f"There is no endpoint at {call.path}.")

    def authenticated(self, call: Call) -> bool:
        scheme, _, token = call.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer":
            return False
        return token in self.static_tokens or self.live_jwts.get(token, 0) > time.time()

    def _authorize(self, call: Call) -> Reply:
        try:
            given = call.json()
            key, secret = given["key"], given["secret"]
        except (ValueError, KeyError, TypeError):
            return error_reply(400, "Send JSON with key and secret.")
        if self.key_pairs.get(key) != secret or key in self.refused_keys:
            return error_reply(401, "This API key is not accepted.")
        expires = time.time() + self.token_lifetime
        token = jwt.encode(
            {"alg": "HS256"}, {"sub": key, "jti": next(self._numbers), "exp": int(expires)}, self._jwt_key
        )
        self.live_jwts[token] = expires
        return json_reply(200, {"access_token": token, "expires_in": self.token_lifetime})

    def _api(self, call: Call) -> Reply:
        if call.path == "/api/account" and call.method == "GET":
            return json_reply(200, ACCOUNT)
        if call.path.startswith("/api/envelopes/") and call.method == "GET":
            remote_id = call.path.removeprefix("/api/envelopes/")
            envelope = self.envelopes.get(remote_id)
            if envelope is None:
                return error_reply(404, "No such envelope.")
            if remote_id in self.malformed:
                return json_reply(200, {k: v for k, v in envelope.items() if k != "status"})
            return json_reply(200, envelope)
        return error_reply(404, f"There is no endpoint at {call.path}.")
