"""Every answer of the fake Scrive against Scrive's own Document API v2 Swagger spec (kept as
published in `spec/`: the definitions and the calls Paraph uses). The spec's object schemas are
made strict here — a field the spec does not list fails — so the fake cannot drift from the
documentation, and neither can the adapter that was written against it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
import yaml
from jsonschema import Draft4Validator

from providers.connect.oauth1 import plaintext_header
from tests.fakes.scrive import FakeScrive
from tests.fakes.scrive.documents import new_party

SPEC = Path(__file__).parent / "spec"
DOCS = "/api/v2/documents"


@cache
def _load(path: Path):
    return yaml.safe_load(path.read_text())


def _resolve(node, base: Path):
    """The node with every $ref replaced by what it points to (files relative to `base`)."""
    if isinstance(node, list):
        return [_resolve(item, base) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target, _, pointer = node["$ref"].partition("#")
        if target.endswith("scrive_api.yaml") and pointer.startswith("/definitions/"):
            path, pointer = SPEC / "definitions" / f"{pointer.rsplit('/', 1)[1]}.yaml", ""
        else:
            path = (base.parent / target).resolve() if target else base
        data = _load(path)
        for key in [k for k in pointer.split("/") if k]:
            data = data[key]
        return _resolve(data, path)
    return {key: _resolve(value, base) for key, value in node.items() if key != "$schema"}


def _strict(node):
    """No field beyond those the spec lists, at every level."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    strict = {key: _strict(value) for key, value in node.items()}
    if "properties" in strict and "additionalProperties" not in strict:
        strict["additionalProperties"] = False
    return strict


def response_schema(call: str, method: str, status: int) -> dict:
    path = SPEC / "api" / call
    answer = _resolve(_load(path)[method]["responses"][status], path)
    return _strict(answer.get("schema", answer))  # a response, or (retention) the definition itself


def definition(name: str) -> dict:
    path = SPEC / "definitions" / f"{name}.yaml"
    return _strict(_resolve(_load(path), path))


def problems(instance, schema) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in Draft4Validator(schema).iter_errors(instance)
    ]


def check(instance, schema) -> None:
    found = problems(instance, schema)
    assert not found, "\n".join(found[:20])


@pytest.fixture
def fake():
    with FakeScrive() as running:
        yield running


@pytest.fixture
def api(fake):
    session = requests.Session()
    session.headers["Authorization"] = plaintext_header(fake.personal)
    session.base = fake.base_url + DOCS
    return session


def _started(api, fake, *, callback: str = "") -> dict:
    created = api.post(f"{api.base}/new", files={"file": ("lease.pdf", b"%PDF-1.4 lease", "application/pdf")}).json()
    party = {"fields": [{"type": "name", "order": 1, "value": "Ada"}, {"type": "email", "value": "ada@example.com"}]}
    body = {"parties": [created["parties"][0], party], "api_callback_url": callback or None}
    api.post(f"{api.base}/{created['id']}/update", data={"document": json.dumps(body)})
    return api.post(f"{api.base}/{created['id']}/start").json()


def test_the_strict_schema_refuses_a_field_the_spec_does_not_list():
    document = definition("Document")
    assert problems({"id": "1", "documentId": "1"}, document)
    assert problems({"id": "1", "parties": [{"id": "2", "has_authenticated_to_view": False}]}, document)
    assert not problems({"id": "1", "parties": [new_party()]}, document)


def test_document_calls_answer_the_documented_document(api, fake):
    created = api.post(f"{api.base}/new", files={"file": ("lease.pdf", b"%PDF-1.4 lease", "application/pdf")})
    assert created.status_code == 201
    check(created.json(), response_schema("documents/new.yaml", "post", 201))
    document_id = created.json()["id"]
    body = {"parties": [created.json()["parties"][0], {}], "lang": "sv", "days_to_sign": 5}
    updated = api.post(f"{api.base}/{document_id}/update", data={"document": json.dumps(body)})
    check(updated.json(), response_schema("documents/document_id/update.yaml", "post", 200))
    party = updated.json()["parties"][1]
    party["fields"] = [{"type": "name", "order": 1, "value": "Ada"}, {"type": "mobile", "value": "+46701234567"}]
    party["delivery_method"] = "mobile"
    api.post(
        f"{api.base}/{document_id}/update", data={"document": json.dumps({"parties": [body["parties"][0], party]})}
    )
    started = api.post(f"{api.base}/{document_id}/start")
    assert started.status_code == 200, started.text
    check(started.json(), response_schema("documents/document_id/start.yaml", "post", 200))
    check(
        api.get(f"{api.base}/{document_id}/get").json(), response_schema("documents/document_id/get.yaml", "get", 200)
    )
    changed = api.post(
        f"{api.base}/{document_id}/{party['id']}/changeemailandmobile", data={"mobile_number": "+4670999"}
    )
    assert changed.status_code == 409  # too short a number
    changed = api.post(
        f"{api.base}/{document_id}/{party['id']}/changeemailandmobile", data={"mobile_number": "+46709999999"}
    )
    check(changed.json(), response_schema("documents/document_id/signatory_id/changeemailandmobile.yaml", "post", 200))
    reminded = api.post(f"{api.base}/{document_id}/remind")
    assert (reminded.status_code, reminded.content) == (202, b"")
    fake.time_out(document_id)
    prolonged = api.post(f"{api.base}/{document_id}/prolong", data={"days": "10"})
    check(prolonged.json(), response_schema("documents/document_id/prolong.yaml", "post", 200))
    cancelled = api.post(f"{api.base}/{document_id}/cancel")
    check(cancelled.json(), response_schema("documents/document_id/cancel.yaml", "post", 200))
    trashed = api.post(f"{api.base}/{document_id}/trash")
    check(trashed.json(), response_schema("documents/document_id/trash.yaml", "post", 200))
    deleted = api.post(f"{api.base}/{document_id}/delete")
    check(deleted.json(), response_schema("documents/document_id/delete.yaml", "post", 200))


def test_signed_and_sealed_documents_and_their_files(api, fake):
    fake.seal_delay = 10
    document = _started(api, fake)
    fake.sign(document["id"], document["parties"][1]["id"])
    closed = api.get(f"{api.base}/{document['id']}/get").json()
    check(closed, definition("Document"))
    assert closed["status"] == "closed" and closed["sealed_file"] is None
    sealing = api.get(f"{api.base}/{document['id']}/files/main/lease.pdf")
    assert sealing.status_code == 503
    check(
        sealing.json(),
        {
            **definition("ApiError"),
            "properties": {**definition("ApiError")["properties"], "http_code": {"type": "integer"}},
        },
    )
    fake.seal_now(document["id"])
    sealed = api.get(f"{api.base}/{document['id']}/files/main/lease.pdf")
    assert sealed.status_code == 200 and sealed.content.startswith(b"%PDF")
    check(api.get(f"{api.base}/{document['id']}/get").json(), definition("Document"))


def test_errors_have_the_documented_shape(api, fake):
    error = definition("ApiError")
    answers = [
        api.get(f"{api.base}/1/get"),  # 404
        api.post(f"{api.base}/new", files={"file": ("x.pdf", b"not a pdf")}),  # 400
        requests.get(f"{api.base}/1/get", headers={"Authorization": "nonsense"}),  # 401
    ]
    document = _started(api, fake)
    answers.append(api.post(f"{api.base}/{document['id']}/start"))  # 409 state
    stale = {"document": "{}", "object_version": "1"}
    answers.append(api.post(f"{api.base}/{document['id']}/update", data=stale))  # 409 (state)
    fake.limit_privileges(fake.personal["token_key"], {"DOC_CHECK"})
    answers.append(api.post(f"{api.base}/{document['id']}/remind"))  # 403
    assert [a.status_code for a in answers] == [404, 400, 401, 409, 409, 403]
    for answer in answers:
        check(answer.json(), error)
        assert answer.json()["http_code"] == answer.status_code
    assert answers[-1].json()["error_type"] == "insufficient_privileges"


def test_object_version_mismatch_is_409(api, fake):
    created = api.post(f"{api.base}/new", files={"file": ("lease.pdf", b"%PDF-1.4", "application/pdf")}).json()
    fake.change_elsewhere(created["id"])
    answer = api.post(
        f"{api.base}/{created['id']}/update", data={"document": "{}", "object_version": str(created["object_version"])}
    )
    assert answer.status_code == 409
    assert answer.json()["error_type"] == "document_object_version_mismatch"


def test_callbacks_carry_the_documented_document(api, fake):
    received = []
    fake.webhook_transport = lambda url, body, headers: received.append((url, body, headers)) or 200
    document = _started(api, fake, callback="http://paraph.test/webhooks/scrive/1/secret/")
    fake.deliver_pending()
    fake.sign(document["id"], document["parties"][1]["id"])
    assert len(received) == 2
    for url, body, headers in received:
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        form = parse_qs(body.decode())
        assert set(form) == {"document_id", "document_json", "document_signed_and_sealed"}
        check(json.loads(form["document_json"][0]), definition("Document"))
    assert parse_qs(received[-1][1].decode())["document_signed_and_sealed"] == ["true"]


def test_data_retention_policies(api, fake):
    answer = requests.get(f"{fake.base_url}/api/v2/dataretentionpolicy", headers=api.headers)
    check(answer.json(), response_schema("user/get-dataretentionpolicy.yaml", "get", 200))
