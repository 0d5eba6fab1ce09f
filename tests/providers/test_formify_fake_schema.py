"""Every answer of the fake Formify against a schema transcribed from Formify's API reference
(shared/reference/seeds/002_f7e78114f3454ee0.txt, the "Formify API" 1.0.0 text). That file is
one long line, so each schema cites its section heading and the character offset where the
section starts.

A schema lists exactly the fields the reference lists: an answer with any other field fails
(that is how `documentId` in GET /docs/{documentId} went unnoticed). The reference does not say
which response fields are always present; an answer may leave a field out or send null for it
(assumption 8 of the fake), except where a test asks for more.
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.providers.test_formify_fake import (
    SIGNEE,
    completed_document,
    connect,
    create_document,
    pdf_with_fields,
    session_for,
    upload,
)

# -- a tiny checker -----------------------------------------------------------------------------

STRING, INTEGER, BOOLEAN = "string", "integer", "boolean"


def obj(**fields) -> dict:
    return {"object": fields}


def array(item) -> dict:
    return {"array": item}


def enum(*values: str) -> dict:
    return {"enum": set(values)}


def problems(value, schema, where: str = "answer") -> list[str]:
    """What in `value` the schema does not allow; null is allowed for every field (see above)."""
    if value is None:
        return []
    if schema == STRING:
        return [] if isinstance(value, str) else [f"{where} is not a string: {value!r}"]
    if schema == INTEGER:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{where} is not an integer: {value!r}"]
    if schema == BOOLEAN:
        return [] if isinstance(value, bool) else [f"{where} is not true/false: {value!r}"]
    if "enum" in schema:
        return [] if value in schema["enum"] else [f"{where} is {value!r}, not one of {sorted(schema['enum'])}"]
    if "array" in schema:
        if not isinstance(value, list):
            return [f"{where} is not a list"]
        return [p for i, item in enumerate(value) for p in problems(item, schema["array"], f"{where}[{i}]")]
    if not isinstance(value, dict):
        return [f"{where} is not an object"]
    fields = schema["object"]
    found = [f"{where}.{key} is not in the reference" for key in value if key not in fields]
    for key, sub in fields.items():
        if key in value:
            found += problems(value[key], sub, f"{where}.{key}")
    return found


def check(value, schema, *, present: tuple[str, ...] = ()) -> None:
    found = problems(value, schema)
    found += [f"answer.{key} is missing" for key in present if not isinstance(value, dict) or value.get(key) is None]
    assert not found, "\n".join(found)


def test_the_checker_refuses_fields_the_reference_does_not_list():
    assert problems({"documentId": "d", "name": "x"}, DOCUMENT) == ["answer.documentId is not in the reference"]
    assert problems({"status": "sent"}, DOCUMENT) == [
        "answer.status is 'sent', not one of ['awaiting_signatures', 'completed', 'created', 'deleted', 'error', "
        "'processing', 'revoked']"
    ]


# -- the schemas, transcribed ----------------------------------------------------------------

# "#### POST `/oauth/token`" → "**Response (200):**" (char 7647).
TOKEN = obj(access_token=STRING, expires_in=INTEGER, refresh_token=STRING, token_type=STRING, scope=STRING)
# "#### POST `/files`" → "**Response (201):**" (char 12075); "#### POST `/files/merge`" (char 14309) the same.
FILE_ID = obj(fileId=STRING)
# "#### GET `/files/{fileId}/fields`" (char 17305): "*(array of objects)*"; the objects' fields are named
# only in that section's notes and in "#### GET `/docs/{documentId}/fields`" (char 48874): assumption 16.
FORM_FIELDS = array(
    obj(
        fieldId=STRING,
        name=STRING,
        type=enum("checkbox", "combobox", "listbox", "radioButton", "textField"),
        required=BOOLEAN,
        readOnly=BOOLEAN,
        editable=BOOLEAN,
        defaultValues=array(STRING),
        boundingBox=obj(),
        options=array(obj(label=STRING, value=STRING)),
    )
)
# "#### POST `/docs`" → "**Response (201):**" (char 18601).
CREATED = obj(
    documentId=STRING,
    name=STRING,
    createdAt=STRING,
    userId=STRING,
    status=enum("created", "processing"),
    documentUrl=STRING,
)
# "#### GET `/docs`" → "**Response (200):**" (char 31078). (`errorLanguage` follows `userId` in the flattened
# text; it is a query parameter the generator repeated, so an answer may carry it but the fake does not.)
LISTING = obj(
    limit=INTEGER,
    offset=INTEGER,
    nextOffset=INTEGER,
    errorLanguage=enum("en", "sv", "es"),
    documents=array(
        obj(
            documentId=STRING,
            name=STRING,
            createdAt=STRING,
            status=enum("created", "processing", "awaiting_signatures", "completed", "revoked", "deleted"),
            userId=STRING,
        )
    ),
)
# "#### PATCH `/docs/{documentId}/signature-field`" → "**Response (200):**" (char 32705).
SIGNEE_UPDATE = obj(
    signeeId=STRING,
    updated=obj(fullName=STRING, emailAddress=STRING, phoneNumber=STRING),
    updateCooldown=INTEGER,
)
# "#### POST `/docs/{documentId}/reminder`" → "**Response (200):**" (char 36524).
REMINDED = obj(
    remindersSentTo=array(obj(signeeId=STRING, reminderCooldown=INTEGER)),
    remindersNotSentTo=array(obj(signeeId=STRING, message=STRING, reminderCooldown=INTEGER)),
)
# "#### PUT `/docs/{documentId}/revoke`" → "**Response (200):**" (char 39684).
REVOKED = obj(documentId=STRING)
# "#### GET `/docs/{documentId}`" → "**Response (200):**" (char 43631). No documentId.
DOCUMENT = obj(
    name=STRING,
    createdAt=STRING,
    updatedAt=STRING,
    completedAt=STRING,
    revokedAt=STRING,
    expiryDate=STRING,
    status=enum("created", "processing", "error", "awaiting_signatures", "completed", "revoked", "deleted"),
    aiAssistant=obj(enabled=BOOLEAN, textToSpeech=BOOLEAN, language=STRING),
    formifyTransactionId=STRING,
    language=enum("en", "sv", "es"),
    enableSigningOrder=BOOLEAN,
    signeeDetails=array(
        obj(
            signeeId=STRING,
            fullName=STRING,
            emailAddress=STRING,
            phoneNumber=STRING,
            signatureType=enum(
                "not_set", "bankid_identification", "digital_ink", "digital_ink_id_scan", "face_liveness"
            ),
            signaturePlacement=enum("existing", "new_page"),
            signingOrder=INTEGER,
            signatureStatus=enum("signed", "awaiting_signature"),
            signedAt=STRING,
            reminders=obj(reminderSentCount=INTEGER, lastReminderSentAt=STRING, reminderCooldown=INTEGER),
            updates=obj(lastUpdateAt=STRING, updateCooldown=INTEGER),
        )
    ),
    userId=STRING,
    fileId=STRING,
    documentUrl=STRING,
    templateId=STRING,
)
# "#### GET `/docs/{documentId}/field-values`" → "**Response (200):**" (char 52058).
FIELD_VALUES = array(obj(name=STRING, value=array(STRING)))
# "#### GET `/user`" → "**Response (200):**" (char 63086).
USER = obj(
    userId=STRING,
    emailAddress=STRING,
    fullName=STRING,
    firstName=STRING,
    lastName=STRING,
    accountId=STRING,
    accountName=STRING,
)
# "#### POST `/webhooks`" → "**Response (201):**" (char 64241, response at char 73787).
WEBHOOK_CREATED = obj(webhookId=STRING, eventTypes=array(STRING), signingSecret=STRING)
# "#### GET `/webhooks`" → "**Response (200):** *(array of objects)*" (char 75037).
WEBHOOKS = array(obj(webhookId=STRING, webhookUrl=STRING, name=STRING, eventTypes=array(STRING), signingSecret=STRING))
# "#### GET `/webhooks/{webhookId}`" → "**Response (200):**" (char 76126).
WEBHOOK = obj(webhookId=STRING, webhookUrl=STRING, name=STRING, eventTypes=array(STRING), hasSigningSecret=BOOLEAN)
# "#### POST `/webhooks/{webhookId}/rotate-secret`" → "**Response (200):**" (char 78074).
ROTATED = obj(webhookId=STRING, signingSecret=STRING)
# "### Webhook Request Payload", "#### Example for General Events" (char 66263) and "#### Example for
# `document.signed` Event" (char 66933): signeeId only for document.signed.
EVENT_TYPES = ("document.created", "document.opened", "document.signed", "document.completed", "document.revoked")
EVENT = obj(
    event=obj(
        eventId=STRING,
        type=enum(*EVENT_TYPES, "document.deleted"),
        date=STRING,
        data=obj(documentId=STRING, accountId=STRING, userId=STRING, signeeId=STRING),
    )
)
# "### Webhook Delivery Headers" (char 69099) and "### Rate Limiting" (char 1326).
DELIVERY_HEADERS = ("Content-Type", "X-Formify-Timestamp", "X-Formify-Signature")
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


# -- the fake's answers against them ---------------------------------------------------------


@pytest.fixture
def fake(fake_formify):
    return fake_formify


@pytest.fixture
def api(fake):
    return session_for(fake)


def test_token_answer(fake):
    check(connect(fake), TOKEN, present=("access_token", "expires_in", "refresh_token", "token_type", "scope"))


def test_user_answer(fake, api):
    answer = api.get(f"{fake.api_url}/user", timeout=5)
    check(answer.json(), USER, present=("userId", "accountId"))
    assert all(header in answer.headers for header in RATE_LIMIT_HEADERS)


def test_file_answers(fake, api):
    response = api.post(f"{fake.api_url}/files", files={"file": ("form.pdf", pdf_with_fields())}, timeout=5)
    assert response.status_code == 201
    check(response.json(), FILE_ID, present=("fileId",))
    file_id = response.json()["fileId"]
    check(api.get(f"{fake.api_url}/files/{file_id}/fields", timeout=5).json(), FORM_FIELDS)
    merged = api.post(f"{fake.api_url}/files/merge", json={"fileIds": [file_id, upload(fake, api)], "name": "M"})
    assert merged.status_code == 201
    check(merged.json(), FILE_ID, present=("fileId",))
    deleted = api.delete(f"{fake.api_url}/files/{file_id}", timeout=5)
    assert (deleted.status_code, deleted.content) == (204, b"")


@pytest.mark.parametrize("ai", [False, True])
def test_create_and_document_answers(fake, api, ai):
    body = {"fileId": upload(fake, api), "name": "Contract", "signeeDetails": [SIGNEE]}
    if ai:
        body["aiAssistant"] = {"enabled": True}
    created = api.post(f"{fake.api_url}/docs", json=body, timeout=5)
    assert created.status_code == 201
    check(created.json(), CREATED, present=("documentId", "name", "createdAt", "userId", "status"))
    document_id = created.json()["documentId"]
    document = api.get(f"{fake.api_url}/docs/{document_id}", timeout=5).json()
    check(document, DOCUMENT, present=("status", "signeeDetails", "createdAt"))
    assert "documentId" not in document
    assert ("aiAssistant" in document) is ai  # "Only present if AI Assistant was enabled"


@pytest.mark.parametrize("timestamps", ["iso", "naive", "epoch"])
def test_document_answers_in_every_state(fake, api, timestamps):
    fake.timestamp_format = timestamps
    awaiting = create_document(fake, api)
    completed = completed_document(fake, api)
    revoked = create_document(fake, api)
    assert api.put(f"{fake.api_url}/docs/{revoked}/revoke", json={"errorLanguage": "en"}, timeout=5).json() == {
        "documentId": revoked
    }
    deleted = completed_document(fake, api)
    assert api.delete(f"{fake.api_url}/docs/{deleted}", timeout=5).status_code == 204
    for document_id in (awaiting, completed, revoked, deleted):
        check(api.get(f"{fake.api_url}/docs/{document_id}", timeout=5).json(), DOCUMENT, present=("status",))
    listing = api.get(f"{fake.api_url}/docs", params={"limit": 2}, timeout=5).json()
    check(listing, LISTING, present=("limit", "offset", "nextOffset", "documents"))
    check(api.get(f"{fake.api_url}/docs", params={"offset": 2}, timeout=5).json(), LISTING)


def test_change_remind_revoke_answers(fake, api):
    document_id = create_document(fake, api)
    signee_id = fake.signee_id(document_id, SIGNEE["emailAddress"])
    reminded = api.post(
        f"{fake.api_url}/docs/{document_id}/reminder",
        json={"signeeIds": [signee_id, "unknown"], "errorLanguage": "en"},
        timeout=5,
    )
    check(reminded.json(), REMINDED, present=("remindersSentTo", "remindersNotSentTo"))
    changed = api.patch(
        f"{fake.api_url}/docs/{document_id}/signature-field",
        json=[{"signeeId": signee_id, "emailAddress": "ada@new.example"}],
        timeout=5,
    )
    check(changed.json(), SIGNEE_UPDATE, present=("signeeId", "updated", "updateCooldown"))
    revoked = api.put(f"{fake.api_url}/docs/{document_id}/revoke", json={"errorLanguage": "en"}, timeout=5)
    check(revoked.json(), REVOKED, present=("documentId",))


def test_signed_file_and_field_values_answers(fake, api):
    document_id = create_document(fake, api)
    fake.set_field_values(document_id, [{"name": "email", "value": "ada@example.com"}])
    fake.sign(document_id, fake.signee_id(document_id, SIGNEE["emailAddress"]))
    values = api.get(f"{fake.api_url}/docs/{document_id}/field-values", timeout=5).json()
    check(values, FIELD_VALUES)
    assert values == [{"name": "email", "value": ["ada@example.com"]}]
    # "It responds with a 302 status and a 'Location' header containing the URL" (char 42315).
    redirect = api.get(f"{fake.api_url}/docs/{document_id}/signed-file", allow_redirects=False, timeout=5)
    assert redirect.status_code == 302 and redirect.headers["Location"].startswith("http")


def test_webhook_answers_and_deliveries(fake, api):
    received = []
    fake.webhook_transport = lambda url, body, headers: received.append((headers, body)) or 200
    registered = api.post(
        f"{fake.api_url}/webhooks",
        json={"webhookUrl": "https://example.com/hook", "name": "n", "eventTypes": list(EVENT_TYPES)},
        timeout=5,
    )
    assert registered.status_code == 201
    check(registered.json(), WEBHOOK_CREATED, present=("webhookId", "eventTypes", "signingSecret"))
    webhook_id = registered.json()["webhookId"]
    check(api.get(f"{fake.api_url}/webhooks", timeout=5).json(), WEBHOOKS)
    check(api.get(f"{fake.api_url}/webhooks/{webhook_id}", timeout=5).json(), WEBHOOK)
    rotated = api.post(f"{fake.api_url}/webhooks/{webhook_id}/rotate-secret", timeout=5).json()
    check(rotated, ROTATED, present=("webhookId", "signingSecret"))

    document_id = create_document(fake, api)
    signee_id = fake.signee_id(document_id, SIGNEE["emailAddress"])
    fake.open(document_id, signee_id)
    fake.sign(document_id, signee_id)
    fake.emit("document.revoked", document_id)
    assert len(received) == 5
    for headers, body in received:
        assert set(headers) == set(DELIVERY_HEADERS) and headers["Content-Type"] == "application/json"
        event = json.loads(body)
        check(event, EVENT)
        data = event["event"]["data"]
        assert ("signeeId" in data) is (event["event"]["type"] == "document.signed")
    assert api.delete(f"{fake.api_url}/webhooks/{webhook_id}", timeout=5).status_code == 204


def test_refusals_carry_rate_limit_headers_and_the_assumed_error_body(fake, api):
    # Assumption 1: {"error", "message"}; assumption 14: X-RateLimit-* on every /v1 answer.
    refused = api.put(f"{fake.api_url}/docs/unknown/revoke", json={"errorLanguage": "en"}, timeout=5)
    assert refused.status_code == 404
    assert set(refused.json()) == {"error", "message"}
    assert all(header in refused.headers for header in RATE_LIMIT_HEADERS)
    no_token = requests.get(f"{fake.api_url}/user", timeout=5)
    assert no_token.status_code == 401 and set(no_token.json()) == {"error", "message"}
