"""The fake EasyInk's answers against schemas transcribed from the EasyInk Public API reference
(shared/reference/seeds/004_d3e133b77da8cb7a.txt; no Swagger file is public). Each schema lists
exactly the fields the reference lists for that answer (additionalProperties: false), so a fake
that grows a field the reference does not document fails here. Sections are named at each schema.
"""

from __future__ import annotations

import jsonschema
import pytest
import requests

from envelopes.outgoing.sending import send_request_for
from providers.base import Checkpoint
from providers.easyink.provider import EasyInkProvider
from tests.providers.easyink.conftest import PEOPLE

UUID = {"type": "string", "format": "uuid", "pattern": "^[0-9a-f-]{36}$"}
TEXT = {"type": ["string", "null"]}
STATUS = {"enum": ["Draft", "ReadyToStart", "Pending", "InProgress", "Finished", "Declined", "Voided", "Expired"]}


def closed(required: list[str] | None = None, **properties) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties),
            "additionalProperties": False}


def listed(item: dict) -> dict:
    return {"type": ["array", "null"], "items": item}


# "Create signing session draft", "Upload document", "Add participant", "Add signature field",
# "Recreate signing session": the new id as a bare JSON string.
NEW_ID = UUID
# "ApiError": {"error": {"code", "message", "innerErrors"}}.
ERROR = closed(
    ["error"],
    error=closed(
        ["code", "message"],
        code={"enum": ["ValidationError", "NotFound", "Unauthorized", "Forbidden", "InternalServerError"]},
        message={"type": "string"},
        innerErrors=listed(closed(code={"type": "string"}, message={"type": "string"})),
    ),
)
# "Get signing session draft" (SigningSessionConfiguration).
CONFIGURATION = closed(
    signingSessionId=UUID, organizationId=UUID, settingsSetId=UUID, initiatorUserId=UUID,
    timestampFormat={"enum": ["Usa", "Spanish"]}, isBulkSession={"type": "boolean"}, isLocked={"type": "boolean"},
    isVoidDisabled={"type": "boolean"}, isSessionCopyDisabled={"type": "boolean"},
    isValidBulkParticipant={"type": ["boolean", "null"]}, subject=TEXT,
    documents=listed(closed(id=UUID, title=TEXT, blobId=UUID, status={"type": "string"}, pages={"type": "array"})),
    attachments=listed({"type": "object"}), participants=listed(closed(
        ["id"], id=UUID, firstName=TEXT, lastName=TEXT, email=TEXT, role={"enum": ["Initiator", "Signer"]},
        language={"enum": ["English", "Spanish"]})),
    bulkParticipants=listed({"type": "object"}), signatureFields=listed({"type": "object"}),
    pageLabels=listed({"type": "object"}), reminderFrequency={"enum": ["Never", "Daily", "Weekly", None]},
    signingOrderSettings={"type": "object"},
)
# "Get signing session" (SigningView).
VIEW = closed(
    signingSessionId=UUID, bulkSessionId={"type": ["string", "null"]}, subject=TEXT,
    canBeVoided={"type": "boolean"}, canBeCopied={"type": "boolean"}, status=STATUS,
    documents=listed(closed(documentId=UUID, title=TEXT)),
    participants=listed(closed(
        ["participantId"], participantId=UUID, firstName=TEXT, lastName=TEXT, email=TEXT,
        role={"enum": ["Initiator", "Signer"]}, status={"type": "string"}, signedAt=TEXT)),
    signedDocuments=listed(closed(signedDocumentId=UUID, title=TEXT, processingStatus={"type": "string"})),
    attachments=listed({"type": "object"}),
    allInOneDocument={"oneOf": [{"type": "null"}, closed(title=TEXT, status={"type": "string"})]},
)
# "Get signing sessions statistics".
STATISTICS = closed(**{key: {"type": "integer", "minimum": 0} for key in (
    "sessionsToSignCount", "draftsCount", "readyToStartCount", "inProgressCount", "needsActionCount")})
# "Search signing sessions".
SEARCH = closed(
    items=listed(closed(id=UUID, isBulk={"type": "boolean"}, subject=TEXT, created={"type": "string"},
                        status=STATUS, currentUserNeedToSign={"type": "boolean"},
                        hasNotificationErrors={"type": "boolean"}, canBeDeleted={"type": "boolean"})),
    totalItemsCount={"type": "integer", "minimum": 0}, pagesCount={"type": "integer", "minimum": 0},
    pageIndex={"type": "integer", "minimum": 0}, pageSize={"type": "integer", "minimum": 1},
)


@pytest.fixture
def api(fake_easyink, connect_easyink, easyink_envelope, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    connection, _client, admin = connect_easyink()
    token = connection.credentials["access_token"]

    def call(method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return requests.request(method, f"{fake_easyink.api_url}{path}", headers=headers, timeout=5, **kwargs)

    request = send_request_for(easyink_envelope(connection, admin.user, people=PEOPLE[:2], attachments=1))
    remote = EasyInkProvider(connection).send(request, Checkpoint())
    return call, remote


def valid(answer, schema) -> None:
    jsonschema.validate(answer, schema, format_checker=jsonschema.FormatChecker())


def test_session_statistics_and_search_answers(api, fake_easyink):
    call, remote = api
    valid(call("GET", f"/api/signingSessions/{remote.remote_id}").json(), VIEW)
    valid(call("GET", "/api/signingSessions/statistics").json(), STATISTICS)
    valid(call("GET", "/api/signingSessions", params={"pageSize": 100}).json(), SEARCH)
    for person in remote.participant_ids.values():
        fake_easyink.sign(remote.remote_id, person)
    finished = call("GET", f"/api/signingSessions/{remote.remote_id}").json()
    valid(finished, VIEW)
    assert finished["allInOneDocument"]["status"] == "Ready"


def test_draft_and_create_answers(api):
    call, _remote = api
    created = call("POST", "/api/signingSessionDrafts", json={"subject": "Lease"})
    valid(created.json(), NEW_ID)
    participant = call("POST", f"/api/signingSessionDrafts/{created.json()}/participants",
                       json={"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
                             "deliveryMethods": ["Email"]})
    valid(participant.json(), NEW_ID)
    valid(call("GET", f"/api/signingSessionDrafts/{created.json()}").json(), CONFIGURATION)


@pytest.mark.parametrize(
    "method, path, body, status, message",
    [
        ("POST", "/api/signingSessionDrafts", {"subject": "x" * 501}, 400, "Subject cannot exceed 500 characters"),
        ("PUT", "/api/signingSessionDrafts/3fa85f64-5717-4562-b3fc-2c963f66afa6/signingOrder/allAtOnce", None, 404,
         "Signing session draft does not exists"),
        ("POST", "/api/signingSessions/{session}/voided", {}, 400, "Voiding reason is required"),
        ("GET", "/api/signingSessions/{session}/allInOneDocument", None, 400, None),
    ],
)
def test_refusals_are_api_errors_with_the_references_texts(api, method, path, body, status, message):
    call, remote = api
    answer = call(method, path.format(session=remote.remote_id), json=body)
    assert answer.status_code == status
    valid(answer.json(), ERROR)
    if message:
        assert answer.json()["error"]["message"] == message


def test_an_unauthenticated_call_is_an_api_error(fake_easyink):
    answer = requests.get(f"{fake_easyink.api_url}/api/signingSessions/statistics", timeout=5)
    assert answer.status_code == 401
    valid(answer.json(), ERROR)
    assert answer.json()["error"]["code"] == "Unauthorized"
