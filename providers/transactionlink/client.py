"""One small function per TransactionLink endpoint. Reference: the "Workflows API" guide
(Create case, Create parameters, Run workflow, Check workflow status, Get workflow result) and the
webhook key endpoint. Every field of an answer is read through `providers.answers`."""

from __future__ import annotations

from providers.answers import optional, required
from providers.base import ProviderError, UnreadableAnswer
from providers.http import ProviderHttp

MISSING_DEFINITION = "This screening workflow no longer exists at TransactionLink."

NAME = "TransactionLink"
CASE_FIELDS = ("firstName", "lastName", "personalNumber", "email", "companyName", "companyNumber", "companyAddress")


def create_case(http: ProviderHttp, fields: dict[str, str]) -> str:
    # Reference: "Create case" — POST /cases, all fields optional, 201 "Case was created".
    body = {name: value for name, value in fields.items() if name in CASE_FIELDS and value}
    return required(http.json("POST", "cases", json=body), "id", provider=NAME)


def create_parameters(http: ProviderHttp, definition_id: str, parameters: dict) -> str:
    # Reference: "Create Parameters (optional)" — POST /parameters; 404 for an unknown definition.
    body = {"workflowDefinitionId": definition_id, "parameters": parameters}
    return required(_answer(http.request("POST", "parameters", json=body, expect=(404,))), "id", provider=NAME)


def run_workflow(http: ProviderHttp, case_id: str, definition_id: str, parameters_id: str = "") -> dict:
    # Reference: "Run Workflow" — POST /workflows/run → 200 {id, caseId, status}; no idempotency key,
    # so the HTTP layer never repeats it (POST is not retried).
    body = {"caseId": case_id, "workflowDefinitionId": definition_id}
    if parameters_id:
        body["parametersId"] = parameters_id
    return _run(_answer(http.request("POST", "workflows/run", json=body, expect=(404,))))


def workflow_status(http: ProviderHttp, run_id: str) -> dict:
    # Reference: "Check Workflow Status" — GET /workflows/{workflowId} → {id, caseId, status}.
    return _run(http.json("GET", f"workflows/{run_id}"))


def workflow_result(http: ProviderHttp, run_id: str) -> dict:
    # Reference: "Get Workflow Result" — its content depends on the workflow's configuration.
    answer = http.json("GET", f"workflows/{run_id}/result")
    if not isinstance(answer, dict):
        return {"value": answer}
    return answer


def authorize(http: ProviderHttp, key: str, secret: str) -> tuple[str, int | None]:
    # Reference: contract notes "Environment and auth" — POST /auth/authorize {key, secret} → JWT.
    answer = http.json("POST", "auth/authorize", json={"key": key, "secret": secret}, authorized=False)
    token = required(answer, "accessToken", provider=NAME)
    return token, optional(answer, "expiresIn", None, provider=NAME, kind=int)


def webhook_key(http: ProviderHttp, kid: str) -> str | None:
    # Reference: "Webhooks" — GET /auth/webhooks/key/{kid}?pem=true, the public key as PEM.
    response = http.request("GET", f"auth/webhooks/key/{kid}", params={"pem": "true"}, authorized=False, expect=(404,))
    if response.status_code == 404:
        return None
    text = response.text.strip()
    if "BEGIN PUBLIC KEY" not in text:
        raise ProviderError(f"{NAME} published a webhook key Paraph cannot read.")
    return text


def _answer(response):
    """The JSON of an answer whose 404 means "unknown workflow definition"."""
    if response.status_code == 404:
        raise ProviderError(MISSING_DEFINITION, permanent=True)
    try:
        return response.json()
    except ValueError:
        raise UnreadableAnswer(NAME, "the body is not JSON") from None


def _run(answer) -> dict:
    return {
        "id": required(answer, "id", provider=NAME),
        "caseId": required(answer, "caseId", provider=NAME),
        "status": required(answer, "status", provider=NAME),
    }
