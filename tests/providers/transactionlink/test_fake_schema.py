"""The fake answers what the Workflows API guide documents, field by field, and nothing it does
not list for the documented endpoints (there is no published Swagger spec; the guide's response
sections are transcribed here)."""

from __future__ import annotations

import uuid

import pytest
import requests

# Reference: "Run Workflow" and "Check Workflow Status" responses — id (uuid), caseId, status, all required.
RUN_FIELDS = {"id": "uuid", "caseId": "str", "status": "str"}
DOCUMENTED_STATUSES = {"RUNNING", "COMPLETED"}
# Reference: the statuses each endpoint may answer.
ENDPOINT_STATUSES = {
    ("POST", "/cases"): {201, 400},
    ("POST", "/parameters"): {201, 400, 404},
    ("POST", "/workflows/run"): {200, 404},
    ("GET", "/workflows/{id}"): {200, 404},
}


def _uuid(value) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def _check_run(answer: dict) -> None:
    assert set(answer) == set(RUN_FIELDS)
    assert _uuid(answer["id"]) and isinstance(answer["caseId"], str) and isinstance(answer["status"], str)


@pytest.fixture
def api(fake_tl):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {fake_tl.api_token}"
    return lambda method, path, **kw: session.request(method, fake_tl.base_url + path, timeout=5, **kw)


def test_create_case_answers_201_json_and_400_for_a_bad_body(api):
    created = api("POST", "/cases", json={"companyName": "Acme AB", "companyNumber": "556000-0000"})
    assert created.status_code == 201 and created.headers["Content-Type"] == "application/json"
    assert _uuid(created.json()["id"])
    assert api("POST", "/cases", data="not json").status_code in ENDPOINT_STATUSES[("POST", "/cases")] - {201}


def test_parameters_answer_201_400_and_404(fake_tl, api):
    definition = fake_tl.add_definition(required_parameters=["country"])
    assert (
        api(
            "POST", "/parameters", json={"workflowDefinitionId": definition, "parameters": {"country": "SE"}}
        ).status_code
        == 201
    )
    refused = api("POST", "/parameters", json={"workflowDefinitionId": definition, "parameters": {}})
    assert refused.status_code == 400 and "country" in refused.json()["message"]
    assert api("POST", "/parameters", json={"workflowDefinitionId": str(uuid.uuid4())}).status_code == 404


def test_run_and_status_answer_exactly_the_documented_fields(fake_tl, api):
    definition = fake_tl.add_definition()
    fake_tl.run_seconds = 60
    case_id = api("POST", "/cases", json={"firstName": "Ada", "lastName": "Lind"}).json()["id"]
    run = api("POST", "/workflows/run", json={"caseId": case_id, "workflowDefinitionId": definition})
    assert run.status_code == 200
    _check_run(run.json())
    assert run.json()["status"] in DOCUMENTED_STATUSES and run.json()["caseId"] == case_id
    status = api("GET", f"/workflows/{run.json()['id']}")
    assert status.status_code == 200
    _check_run(status.json())
    assert api("GET", f"/workflows/{uuid.uuid4()}").status_code == 404
    assert api("POST", "/workflows/run", json={"caseId": case_id, "workflowDefinitionId": "gone"}).status_code == 404


def test_every_call_needs_the_bearer_but_the_key_endpoint(fake_tl):
    assert requests.post(f"{fake_tl.base_url}/cases", json={"firstName": "A"}, timeout=5).status_code == 401
    key = requests.get(f"{fake_tl.base_url}/auth/webhooks/key/{fake_tl.kid}", params={"pem": "true"}, timeout=5)
    assert key.status_code == 200 and key.text.startswith("-----BEGIN PUBLIC KEY-----")


def test_a_result_is_available_only_once_the_run_completed(fake_tl, api):
    definition = fake_tl.add_definition()
    fake_tl.run_seconds = 60
    case_id = api("POST", "/cases", json={"firstName": "Ada"}).json()["id"]
    run_id = api("POST", "/workflows/run", json={"caseId": case_id, "workflowDefinitionId": definition}).json()["id"]
    assert api("GET", f"/workflows/{run_id}/result").status_code == 409
    fake_tl.advance(61)
    assert api("GET", f"/workflows/{run_id}").json()["status"] == "COMPLETED"
    assert api("GET", f"/workflows/{run_id}/result").json()["decision"] == "APPROVED"
