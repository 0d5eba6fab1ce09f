"""The fake's server: routes, state and the controls a test turns (see the package docstring)."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field

from joserfc import jws
from joserfc.jwk import RSAKey

from tests.fakes.base import FakeServer, Incoming, Reply, json_reply

CASE_FIELDS = ("firstName", "lastName", "personalNumber", "email", "companyName", "companyNumber", "companyAddress")


class Outcome:
    APPROVED = "approved"
    REJECTED = "rejected"
    MANUAL_REVIEW = "manual_review"
    FAILED = "failed"
    EXPIRED = "expired"
    NEVER = "never"


DECISIONS = {Outcome.APPROVED: "APPROVED", Outcome.REJECTED: "REJECTED", Outcome.MANUAL_REVIEW: "MANUAL_REVIEW"}
SUMMARIES = {
    Outcome.APPROVED: "No matches in sanctions and PEP lists.",
    Outcome.REJECTED: "Match on a sanctions list.",
    Outcome.MANUAL_REVIEW: "Possible PEP match; a person must decide.",
}


@dataclass
class Definition:
    id: str
    required_parameters: tuple[str, ...] = ()


@dataclass
class Run:
    id: str
    case_id: str
    definition_id: str
    started: float
    status: str = "RUNNING"
    notified: bool = False


@dataclass
class Tokens:
    access: dict[str, float] = field(default_factory=dict)  # JWT-like token → expires at
    refresh: set[str] = field(default_factory=set)


class FakeTransactionLink(FakeServer):
    name = "fake-transactionlink"

    def __init__(self):
        super().__init__()
        self.api_tokens: set[str] = {"tot_" + secrets.token_hex(8)}
        self.api_keys: dict[str, str] = {"key_" + secrets.token_hex(4): secrets.token_hex(16)}
        self.tokens = Tokens()
        self.token_seconds = 3600
        self.definitions: dict[str, Definition] = {}
        self.cases: dict[str, dict] = {}
        self.parameters: dict[str, dict] = {}
        self.runs: dict[str, Run] = {}
        self.outcomes: dict[str, str] = {}
        self.default_outcome = Outcome.APPROVED
        self.run_seconds = 0.0
        self.webhook_url = ""
        self.keys: dict[str, RSAKey] = {}
        self.kid = ""
        self.rotate_key()

    # -- controls ------------------------------------------------------------------------------

    @property
    def api_token(self) -> str:
        return next(iter(self.api_tokens))

    @property
    def api_key(self) -> tuple[str, str]:
        return next(iter(self.api_keys.items()))

    def add_definition(self, definition_id: str | None = None, *, required_parameters=()) -> str:
        definition_id = definition_id or str(uuid.uuid4())
        with self.lock:
            self.definitions[definition_id] = Definition(definition_id, tuple(required_parameters))
        return definition_id

    def set_outcome(self, case_id: str, outcome: str) -> None:
        with self.lock:
            self.outcomes[case_id] = outcome

    def rotate_key(self) -> str:
        """A new signing key; the old ones stay published (assumption 9)."""
        with self.lock:
            self.kid = "kid-" + secrets.token_hex(4)
            self.keys[self.kid] = RSAKey.generate_key(2048, private=True)
            return self.kid

    def sign(self, body: bytes, *, kid: str | None = None, key: RSAKey | None = None, alg: str = "RS256") -> str:
        kid = kid or self.kid
        key = key or self.keys[kid]
        compact = jws.serialize_compact({"alg": alg, "kid": kid}, body, key, algorithms=[alg])
        head, _, signature = compact.split(".")
        return f"{head}..{signature}"

    def webhook_body(self, run_id: str) -> bytes:
        run = self.runs[run_id]
        return json.dumps({"workflowId": run.id, "caseId": run.case_id, "status": run.status}).encode()

    def deliver_webhooks(self) -> list[int | None]:
        """Posts one signed call for every finished run not yet reported; the receivers' statuses."""
        statuses = []
        with self.lock:
            finished = [run for run in self.runs.values() if self._advance(run) != "RUNNING" and not run.notified]
        for run in finished:
            body = self.webhook_body(run.id)
            status = self.post_webhook(
                self.webhook_url, body, {"Content-Type": "application/json", "JWS-SIGNATURE": self.sign(body)}
            )
            run.notified = status is not None and 200 <= status < 300
            statuses.append(status)
        return statuses

    # -- serving -------------------------------------------------------------------------------

    def routes(self):
        return [
            ("POST", "/auth/authorize", self.authorize),
            ("POST", "/auth/refresh", self.refresh),
            ("GET", "/auth/webhooks/key/(?P<kid>[^/]+)", self.public_key),
            ("POST", "/cases", self.create_case),
            ("POST", "/parameters", self.create_parameters),
            ("POST", "/workflows/run", self.run_workflow),
            ("GET", "/workflows/(?P<run_id>[^/]+)", self.workflow_status),
            ("GET", "/workflows/(?P<run_id>[^/]+)/result", self.workflow_result),
        ]

    def respond(self, incoming: Incoming, injected: Reply | None) -> Reply:
        if injected is not None:
            return injected
        public = incoming.path.startswith("/auth/")
        if not public and not self._authenticated(incoming):
            return self.error_reply(401, "Unauthorized.")
        return self.route(incoming)

    def _authenticated(self, incoming: Incoming) -> bool:
        scheme, _, token = incoming.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return False
        with self.lock:
            if token in self.api_tokens:
                return True
            expires = self.tokens.access.get(token)
            return expires is not None and expires > self.now()

    def _issue(self) -> Reply:
        access, refresh = "jwt." + secrets.token_urlsafe(16), "rt_" + secrets.token_urlsafe(16)
        self.tokens.access[access] = self.now() + self.token_seconds
        self.tokens.refresh.add(refresh)
        return json_reply(200, {"accessToken": access, "refreshToken": refresh, "expiresIn": self.token_seconds})

    def authorize(self, incoming: Incoming) -> Reply:
        body = self._object(incoming)
        if body is None:
            return self.error_reply(400, "Bad request body.")
        with self.lock:
            if self.api_keys.get(body.get("key")) != body.get("secret") or not body.get("secret"):
                return self.error_reply(401, "Invalid key or secret.")
            return self._issue()

    def refresh(self, incoming: Incoming) -> Reply:
        body = self._object(incoming)
        with self.lock:
            token = (body or {}).get("refreshToken")
            if token not in self.tokens.refresh:
                return self.error_reply(401, "Invalid refresh token.")
            self.tokens.refresh.discard(token)
            return self._issue()

    def public_key(self, incoming: Incoming) -> Reply:
        key = self.keys.get(incoming.params["kid"])
        if key is None:
            return self.error_reply(404, "Key not found.")
        pem = key.as_pem(private=False)
        return Reply(200, pem, {"Content-Type": "application/x-pem-file"})

    def create_case(self, incoming: Incoming) -> Reply:
        body = self._object(incoming)
        if body is None or not any(body.get(name) for name in CASE_FIELDS):
            return self.error_reply(400, "Bad request body.")
        if any(not isinstance(body[name], str) for name in CASE_FIELDS if name in body):
            return self.error_reply(400, "Bad request body: case fields are text.")
        case_id = str(uuid.uuid4())
        with self.lock:
            self.cases[case_id] = {name: body[name] for name in CASE_FIELDS if name in body}
        return json_reply(201, {"id": case_id})

    def create_parameters(self, incoming: Incoming) -> Reply:
        body = self._object(incoming)
        if body is None or not isinstance(body.get("parameters", {}), dict):
            return self.error_reply(400, "Bad request body.")
        definition = self.definitions.get(body.get("workflowDefinitionId"))
        if definition is None:
            return self.error_reply(404, "Workflow definition not found.")
        missing = [name for name in definition.required_parameters if not body.get("parameters", {}).get(name)]
        if missing:
            return self.error_reply(400, f"Missing required parameter: {', '.join(missing)}.")
        parameters_id = str(uuid.uuid4())
        with self.lock:
            self.parameters[parameters_id] = {"definition": definition.id, "values": body.get("parameters", {})}
        return json_reply(201, {"id": parameters_id})

    def run_workflow(self, incoming: Incoming) -> Reply:
        body = self._object(incoming)
        if body is None:
            return self.error_reply(400, "Bad request body.")
        if body.get("workflowDefinitionId") not in self.definitions:
            return self.error_reply(404, "Workflow Definition Not Found.")
        if body.get("caseId") not in self.cases:
            return self.error_reply(400, "Unknown caseId.")
        parameters_id = body.get("parametersId")
        if parameters_id is not None and parameters_id not in self.parameters:
            return self.error_reply(400, "Unknown parametersId.")
        with self.lock:
            run = Run(str(uuid.uuid4()), body["caseId"], body["workflowDefinitionId"], self.now())
            self.runs[run.id] = run
            self._advance(run)
        return json_reply(200, self._status(run))

    def workflow_status(self, incoming: Incoming) -> Reply:
        with self.lock:
            run = self.runs.get(incoming.params["run_id"])
            if run is None:
                return self.error_reply(404, "Workflow Not Found.")
            self._advance(run)
            return json_reply(200, self._status(run))

    def workflow_result(self, incoming: Incoming) -> Reply:
        with self.lock:
            run = self.runs.get(incoming.params["run_id"])
            if run is None:
                return self.error_reply(404, "Workflow Not Found.")
            if self._advance(run) != "COMPLETED":
                return self.error_reply(409, "Workflow has not completed.")
            outcome = self._outcome(run)
            return json_reply(
                200,
                {
                    "workflowId": run.id,
                    "caseId": run.case_id,
                    "decision": DECISIONS[outcome],
                    "summary": SUMMARIES[outcome],
                    "checks": [{"name": "sanctions", "hit": outcome != Outcome.APPROVED}],
                },
            )

    # -- state ---------------------------------------------------------------------------------

    def _outcome(self, run: Run) -> str:
        return self.outcomes.get(run.case_id, self.default_outcome)

    def _advance(self, run: Run) -> str:
        """Moves a run on by the fake's clock (assumptions 6 and 8)."""
        if run.status == "RUNNING" and self.now() - run.started >= self.run_seconds:
            outcome = self._outcome(run)
            if outcome in DECISIONS:
                run.status = "COMPLETED"
            elif outcome == Outcome.FAILED:
                run.status = "FAILED"
            elif outcome == Outcome.EXPIRED:
                run.status = "EXPIRED"
        return run.status

    @staticmethod
    def _status(run: Run) -> dict:
        return {"id": run.id, "caseId": run.case_id, "status": run.status}

    @staticmethod
    def _object(incoming: Incoming) -> dict | None:
        try:
            body = incoming.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None
