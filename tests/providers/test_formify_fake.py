"""The fake Formify server keeps Formify's documented contract; checked with plain HTTP calls."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import secrets
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import time_machine
from reportlab.pdfgen import canvas

from tests.envelopes.pdfs import make_pdf

REDIRECT_URI = "http://127.0.0.1:8000/providers/formify/callback"
SIGNEE = {"fullName": "Ada Lovelace", "emailAddress": "ada@example.com", "signaturePlacement": "new_page"}


# -- helpers ------------------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(fake, **overrides) -> str:
    params = {
        "client_id": fake.client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "read,write",
        "state": "state-123",
        **overrides,
    }
    return f"{fake.authorize_url}?{urlencode(params)}"


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def exchange(fake, code: str, **overrides) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "redirect_uri": REDIRECT_URI,
        **overrides,
    }
    return requests.post(f"{fake.api_url}/oauth/token", data=form, timeout=5)


def refresh(fake, refresh_token: str) -> requests.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
    }
    return requests.post(f"{fake.api_url}/oauth/token", data=form, timeout=5)


def connect(fake) -> dict:
    """The token a portal holds after the whole consent flow with PKCE."""
    verifier, challenge = pkce_pair()
    redirect = fake.consent(authorize_url(fake, code_challenge=challenge, code_challenge_method="S256"))
    response = exchange(fake, query_of(redirect)["code"], code_verifier=verifier)
    assert response.status_code == 200, response.text
    return response.json()


def session_for(fake, token: dict | None = None) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {(token or connect(fake))['access_token']}"
    return session


def upload(fake, api: requests.Session, pages: int = 1) -> str:
    response = api.post(f"{fake.api_url}/files", files={"file": ("contract.pdf", make_pdf(pages))}, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()["fileId"]


def create_document(fake, api: requests.Session, signees=(SIGNEE,), **extra) -> str:
    body = {"fileId": upload(fake, api), "name": "Contract", "signeeDetails": list(signees), **extra}
    response = api.post(f"{fake.api_url}/docs", json=body, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()["documentId"]


def signee(email: str, order: int = 1) -> dict:
    return {**SIGNEE, "fullName": email.split("@")[0], "emailAddress": email, "signingOrder": order}


def completed_document(fake, api) -> str:
    document_id = create_document(fake, api)
    fake.sign(document_id, fake.signee_id(document_id, SIGNEE["emailAddress"]))
    return document_id


def document(fake, api, document_id: str) -> dict:
    return api.get(f"{fake.api_url}/docs/{document_id}", timeout=5).json()


def around(seconds: int, expected: int) -> bool:
    """Cooldowns are counted on the real clock too, so a slow machine may shave a few seconds off."""
    return expected - 10 <= seconds <= expected


def signature_valid(secret: str, headers, body: bytes) -> bool:
    signed = headers["X-Formify-Timestamp"].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Formify-Signature"])


@pytest.fixture
def fake(fake_formify):
    return fake_formify


@pytest.fixture
def api(fake):
    return session_for(fake)


@pytest.fixture
def receiver():
    """A webhook endpoint on loopback: records (headers, body) and answers the queued statuses (then 200)."""
    received, statuses = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(statuses.pop(0) if statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/formify"
    server.received, server.statuses = received, statuses
    yield server
    server.shutdown()
    server.server_close()


def register_webhook(fake, api, url: str, event_types=None) -> dict:
    body = {"webhookUrl": url, "name": "paraph", "eventTypes": event_types or ["document.signed"]}
    response = api.post(f"{fake.api_url}/webhooks", json=body, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


# -- OAuth ----------------------------------------------------------------------------------------


def test_fixture_points_the_portal_settings_at_the_fake(fake_formify, settings):
    assert settings.FORMIFY_API_URL == fake_formify.api_url == f"{fake_formify.base_url}/v1"
    assert settings.FORMIFY_AUTHORIZE_URL == f"{fake_formify.base_url}/app/#/oauth"
    assert (settings.FORMIFY_CLIENT_ID, settings.FORMIFY_CLIENT_SECRET) == ("paraph-test-client", "paraph-test-secret")


def test_code_exchange_checks_the_pkce_verifier_and_takes_a_code_once(fake):
    verifier, challenge = pkce_pair()
    redirect = fake.consent(authorize_url(fake, code_challenge=challenge, code_challenge_method="S256"))
    assert redirect.startswith(REDIRECT_URI) and query_of(redirect)["state"] == "state-123"
    code = query_of(redirect)["code"]

    wrong = exchange(fake, code, code_verifier=pkce_pair()[0])
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert "code_verifier" in wrong.json()["message"]
    assert exchange(fake, code).status_code == 400  # verifier missing

    token = exchange(fake, code, code_verifier=verifier).json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600 and token["scope"] == "read,write"
    again = exchange(fake, code, code_verifier=verifier)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    # A replayed code may be stolen, so what it bought is revoked.
    assert session_for(fake, token).get(f"{fake.api_url}/user", timeout=5).status_code == 401


def test_code_exchange_refuses_wrong_client_secret_redirect_uri_and_old_codes(fake):
    code = query_of(fake.consent(authorize_url(fake)))["code"]
    assert exchange(fake, code, client_secret="nope").json()["error"] == "invalid_client"
    assert exchange(fake, code, redirect_uri="http://127.0.0.1:8000/other").json()["error"] == "invalid_grant"
    fake.advance(601)
    assert exchange(fake, code).json()["error"] == "invalid_grant"


def test_consent_page_carries_the_fragment_query_to_the_consent_step(fake):
    page = requests.get(f"{fake.base_url}/app/", timeout=5)
    assert page.status_code == 200 and "location.hash" in page.text and "/app/consent" in page.text

    query = urlsplit(authorize_url(fake)).fragment.partition("?")[2]
    answer = requests.get(f"{fake.base_url}/app/consent?{query}", allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(REDIRECT_URI + "?code=")
    assert query_of(answer.headers["Location"])["state"] == "state-123"


def test_consent_can_be_denied_or_refused(fake):
    fake.deny_consent = True
    assert query_of(fake.consent(authorize_url(fake))) == {"error": "access_denied", "state": "state-123"}
    fake.deny_consent = False
    assert query_of(fake.consent(authorize_url(fake, response_type="token")))["error"] == "unsupported_response_type"
    with pytest.raises(ValueError, match="client_id"):
        fake.consent(authorize_url(fake, client_id="someone-else"))


def test_refresh_issues_a_new_access_token_and_keeps_the_refresh_token(fake):
    token = connect(fake)
    renewed = refresh(fake, token["refresh_token"]).json()
    assert renewed["access_token"] != token["access_token"]
    assert renewed["refresh_token"] == token["refresh_token"]  # the docs do not say they rotate
    assert refresh(fake, token["refresh_token"]).status_code == 200


def test_rotating_refresh_tokens_retire_the_old_one_when_switched_on(fake):
    fake.rotate_refresh_tokens = True
    token = connect(fake)
    renewed = refresh(fake, token["refresh_token"]).json()
    assert renewed["refresh_token"] != token["refresh_token"]
    assert refresh(fake, token["refresh_token"]).json()["error"] == "invalid_grant"


def test_access_tokens_expire_after_an_hour_or_on_command_and_refresh_still_works(fake):
    token = connect(fake)
    fake.advance(3601)
    assert session_for(fake, token).get(f"{fake.api_url}/user", timeout=5).status_code == 401
    token = refresh(fake, token["refresh_token"]).json()
    assert session_for(fake, token).get(f"{fake.api_url}/user", timeout=5).status_code == 200
    fake.expire_access_tokens()
    assert session_for(fake, token).get(f"{fake.api_url}/user", timeout=5).status_code == 401


def test_time_machine_moves_the_fake_clock_too(fake):
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as traveller:
        token = connect(fake)
        traveller.shift(timedelta(hours=1, seconds=1))
        assert session_for(fake, token).get(f"{fake.api_url}/user", timeout=5).status_code == 401


def test_revoked_refresh_tokens_fail_with_invalid_grant(fake):
    token = connect(fake)
    fake.revoke_refresh_tokens()
    answer = refresh(fake, token["refresh_token"])
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")
    assert answer.json()["message"] == answer.json()["error_description"]


def test_revoking_a_token_ends_its_grant_and_a_second_revoke_is_400(fake):
    token = connect(fake)
    form = {"token": token["refresh_token"], "token_type_hint": "refresh_token"}
    assert requests.post(f"{fake.api_url}/oauth/revoke", data=form, timeout=5).status_code == 200
    assert requests.post(f"{fake.api_url}/oauth/revoke", data=form, timeout=5).status_code == 400
    assert refresh(fake, token["refresh_token"]).status_code == 400
    assert session_for(fake, token).get(f"{fake.api_url}/user", timeout=5).status_code == 401


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic cGFyYXBoOnNlY3JldA=="])
def test_calls_without_a_valid_bearer_token_get_401(fake, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    answer = requests.get(f"{fake.api_url}/docs", headers=headers, timeout=5)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized" and answer.json()["message"]


def test_user_is_the_connected_account(fake, api):
    fake.account["accountName"] = "Renamed AB"
    user = api.get(f"{fake.api_url}/user", timeout=5).json()
    assert user["accountName"] == "Renamed AB"
    assert {"userId", "emailAddress", "fullName", "accountId"} <= set(user)


# -- files ----------------------------------------------------------------------------------------


def test_upload_keeps_the_pdf_byte_for_byte(fake, api):
    content = make_pdf(3)
    answer = api.post(f"{fake.api_url}/files", files={"file": ("deal.pdf", content)}, timeout=5)
    file = fake.files[answer.json()["fileId"]]
    assert (answer.status_code, file["content"], file["name"], file["pageCount"]) == (201, content, "deal.pdf", 3)


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 a zip, not a pdf", make_pdf(1, password="secret"), b"%PDF-1.7 broken", make_pdf(40)],
    ids=["not-a-pdf", "locked", "damaged", "too-large"],
)
def test_upload_refuses_what_formify_refuses(fake, api, content):
    fake.max_file_size = len(make_pdf(40)) - 1
    answer = api.post(f"{fake.api_url}/files", files={"file": ("x.pdf", content)}, timeout=5)
    assert answer.status_code == 400 and answer.json()["message"]
    assert fake.files == {}


@pytest.mark.parametrize("count,duplicate,status", [(1, False, 400), (9, False, 400), (3, True, 400), (2, False, 201)])
def test_merge_takes_two_to_eight_unique_files(fake, api, count, duplicate, status):
    file_ids = [upload(fake, api) for _ in range(count)]
    if duplicate:
        file_ids[-1] = file_ids[0]
    answer = api.post(f"{fake.api_url}/files/merge", json={"fileIds": file_ids, "name": "Both"}, timeout=5)
    assert answer.status_code == status, answer.text
    if status == 201:
        assert fake.files[answer.json()["fileId"]]["pageCount"] == count


def test_merge_and_delete_answer_404_for_unknown_or_deleted_files(fake, api):
    file_id = upload(fake, api)
    assert api.delete(f"{fake.api_url}/files/{file_id}", timeout=5).status_code == 204
    assert api.delete(f"{fake.api_url}/files/{file_id}", timeout=5).status_code == 404
    merge = {"fileIds": [upload(fake, api), file_id], "name": "Both"}
    assert api.post(f"{fake.api_url}/files/merge", json=merge, timeout=5).status_code == 404


def pdf_with_fields() -> bytes:
    """One page with an editable text field `email` and a read-only one `reference`."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.acroForm.textfield(name="email", x=50, y=700, width=200, height=20)
    pdf.acroForm.textfield(name="reference", x=50, y=650, width=200, height=20, value="R-1", fieldFlags="readOnly")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_form_fields_are_listed_and_only_editable_ones_can_be_prefilled(fake, api):
    answer = api.post(f"{fake.api_url}/files", files={"file": ("form.pdf", pdf_with_fields())}, timeout=5)
    file_id = answer.json()["fileId"]
    fields = api.get(f"{fake.api_url}/files/{file_id}/fields", timeout=5).json()
    assert [(f["name"], f["type"], f["editable"]) for f in fields] == [
        ("email", "textField", True),
        ("reference", "textField", False),
    ]
    body = {"fileId": file_id, "signeeDetails": [SIGNEE], "fields": [{"name": "reference", "value": "R-2"}]}
    assert api.post(f"{fake.api_url}/docs", json=body, timeout=5).status_code == 400

    body["fields"] = [{"name": "email", "value": "ada@example.com"}]
    document_id = api.post(f"{fake.api_url}/docs", json=body, timeout=5).json()["documentId"]
    assert api.get(f"{fake.api_url}/docs/{document_id}/fields", timeout=5).json() == fields
    fake.sign(document_id, fake.signee_id(document_id, SIGNEE["emailAddress"]))
    values = api.get(f"{fake.api_url}/docs/{document_id}/field-values", timeout=5).json()
    assert values == [{"name": "email", "value": ["ada@example.com"]}]


# -- documents ------------------------------------------------------------------------------------


def box(**overrides) -> dict:
    return {"x": 50, "y": 60, "page": 0, "scale": 1.0, **overrides}


def existing(**overrides) -> dict:
    return {**SIGNEE, "signaturePlacement": "existing", "signatureBox": box(), **overrides}


@pytest.mark.parametrize(
    "change,words",
    [
        ({"templateId": "tpl-1"}, "not both"),
        (
            {"signeeDetails": [{"fullName": "No Contact", "signaturePlacement": "new_page"}]},
            "emailAddress or a phoneNumber",
        ),
        ({"signeeDetails": [{**SIGNEE, "phoneNumber": "0701234567"}]}, "country code"),
        ({"signeeDetails": []}, "at least one signee"),
        ({"signeeDetails": [existing(signatureBox=None)]}, "signatureBox is required"),
        ({"signeeDetails": [existing(signatureBox=box(x=10.5))]}, "x must be a whole number"),
        ({"signeeDetails": [existing(signatureBox=box(y=-1))]}, "y must be a whole number of at least 0"),
        ({"signeeDetails": [existing(signatureBox=box(page=2))]}, "numbered 0 to 1"),
        ({"signeeDetails": [existing(signatureBox=box(scale=0.2))]}, "scale"),
        ({"signeeDetails": [existing(signatureBox=box(scale=1.6))]}, "scale"),
        ({"signeeDetails": [existing(signatureType="digital_ink_id_scan")]}, "idScanBox"),
        ({"signeeDetails": [{**SIGNEE, "signatureType": "digital_ink_id_scan", "idScanBox": box()}]}, "existing"),
        ({"signeeDetails": [{**SIGNEE, "signatureType": "handwaving"}]}, "signatureType"),
        ({"language": "de"}, "language"),
        ({"fields": [{"name": "nope", "value": "x"}]}, "cannot be pre-filled"),
    ],
)
def test_create_document_refuses_invalid_requests_with_400(fake, api, change, words):
    body = {"fileId": upload(fake, api, pages=2), "name": "Contract", "signeeDetails": [SIGNEE], **change}
    answer = api.post(f"{fake.api_url}/docs", json=body, timeout=5)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["message"]
    assert fake.documents == {}


def test_create_document_accepts_placement_on_the_last_page_and_id_scan(fake, api):
    id_scan = existing(signatureType="digital_ink_id_scan", signatureBox=box(page=1, scale=0.25), idScanBox=box(y=200))
    body = {"fileId": upload(fake, api, pages=2), "signeeDetails": [id_scan, {**SIGNEE, "phoneNumber": "+46701234567"}]}
    assert api.post(f"{fake.api_url}/docs", json=body, timeout=5).status_code == 201


def test_create_document_answers_404_for_unknown_file(fake, api):
    answer = api.post(f"{fake.api_url}/docs", json={"fileId": "missing", "signeeDetails": [SIGNEE]}, timeout=5)
    assert answer.status_code == 404


def test_new_document_awaits_signatures_and_lists_its_signees(fake, api):
    document_id = create_document(fake, api)
    details = document(fake, api, document_id)
    assert details["status"] == "awaiting_signatures" and details["documentUrl"]
    [ada] = details["signeeDetails"]
    assert ada["signatureStatus"] == "awaiting_signature"
    assert ada["signeeId"] == fake.signee_id(document_id, "ADA@example.com")
    assert ada["reminders"] == {"reminderSentCount": 0, "lastReminderSentAt": None, "reminderCooldown": 0}
    assert ada["updates"] == {"lastUpdateAt": None, "updateCooldown": 0}


def test_ai_assistant_document_is_processing_until_it_finishes(fake, api):
    body = {"fileId": upload(fake, api), "signeeDetails": [SIGNEE], "aiAssistant": {"enabled": True}}
    created = api.post(f"{fake.api_url}/docs", json=body, timeout=5).json()
    assert (created["status"], created["documentUrl"]) == ("processing", None)
    with pytest.raises(ValueError):
        fake.sign(created["documentId"], fake.signee_id(created["documentId"], SIGNEE["emailAddress"]))
    fake.finish_processing(created["documentId"])
    assert document(fake, api, created["documentId"])["status"] == "awaiting_signatures"


@pytest.mark.parametrize("order", ["oldest_first", "newest_first"])
def test_list_documents_pages_in_the_chosen_order(fake, api, order):
    fake.list_order = order
    ids = [create_document(fake, api) for _ in range(3)]
    listed = ids if order == "oldest_first" else ids[::-1]
    page = api.get(f"{fake.api_url}/docs", params={"limit": 2}, timeout=5).json()
    assert [d["documentId"] for d in page["documents"]] == listed[:2] and page["nextOffset"] == 2
    last = api.get(f"{fake.api_url}/docs", params={"limit": 2, "offset": 2}, timeout=5).json()
    assert [d["documentId"] for d in last["documents"]] == listed[2:] and last["nextOffset"] is None
    assert api.get(f"{fake.api_url}/docs", params={"limit": 51}, timeout=5).status_code == 400


def test_signing_order_holds_later_signees_back_and_equal_orders_sign_in_parallel(fake, api):
    people = [signee("first@example.com", 1), signee("second@example.com", 2), signee("also@example.com", 2)]
    document_id = create_document(fake, api, people, enableSigningOrder=True)
    ids = {p["emailAddress"]: fake.signee_id(document_id, p["emailAddress"]) for p in people}
    with pytest.raises(ValueError, match="turn"):
        fake.sign(document_id, ids["second@example.com"])
    fake.sign(document_id, ids["first@example.com"])
    fake.sign(document_id, ids["also@example.com"])
    assert document(fake, api, document_id)["status"] == "awaiting_signatures"
    fake.sign(document_id, ids["second@example.com"])
    details = document(fake, api, document_id)
    assert details["status"] == "completed" and details["completedAt"]
    assert all(s["signatureStatus"] == "signed" and s["signedAt"] for s in details["signeeDetails"])


def test_without_signing_order_everyone_may_sign_at_once(fake, api):
    document_id = create_document(fake, api, [signee("one@example.com", 1), signee("two@example.com", 2)])
    fake.sign(document_id, fake.signee_id(document_id, "two@example.com"))
    with pytest.raises(ValueError):
        fake.sign(document_id, fake.signee_id(document_id, "two@example.com"))  # already signed


def remind(fake, api, document_id: str, *signee_ids: str) -> requests.Response:
    return api.post(f"{fake.api_url}/docs/{document_id}/reminder", json={"signeeIds": list(signee_ids)}, timeout=5)


def test_third_reminder_within_an_hour_is_not_sent(fake, api):
    document_id = create_document(fake, api)
    ada = fake.signee_id(document_id, SIGNEE["emailAddress"])
    assert remind(fake, api, document_id, ada).json()["remindersSentTo"] == [{"signeeId": ada, "reminderCooldown": 0}]
    fake.advance(600)
    second = remind(fake, api, document_id, ada).json()["remindersSentTo"][0]
    assert around(second["reminderCooldown"], 3000)  # the first one leaves the 60-minute window then

    third = remind(fake, api, document_id, ada).json()
    assert third["remindersSentTo"] == []
    [refused] = third["remindersNotSentTo"]
    assert refused["signeeId"] == ada and around(refused["reminderCooldown"], 3000)
    assert "2 reminders per signee per hour; next possible in 50 minutes" in refused["message"]
    reminders = document(fake, api, document_id)["signeeDetails"][0]["reminders"]
    assert reminders["reminderSentCount"] == 2 and around(reminders["reminderCooldown"], 3000)
    assert reminders["lastReminderSentAt"]

    fake.advance(3600)
    api = session_for(fake)  # the hour also ended the access token
    assert remind(fake, api, document_id, ada).json()["remindersSentTo"][0]["signeeId"] == ada


def test_reminders_skip_signees_who_signed_or_wait_their_turn(fake, api):
    people = [signee("first@example.com", 1), signee("second@example.com", 2)]
    document_id = create_document(fake, api, people, enableSigningOrder=True)
    second = fake.signee_id(document_id, "second@example.com")
    answer = remind(fake, api, document_id, second, "unknown-id").json()
    assert answer["remindersSentTo"] == [] and len(answer["remindersNotSentTo"]) == 2
    assert "not been invited yet" in answer["remindersNotSentTo"][0]["message"]


def test_reminders_need_a_document_awaiting_signatures(fake, api):
    document_id = completed_document(fake, api)
    answer = remind(fake, api, document_id, fake.signee_id(document_id, SIGNEE["emailAddress"]))
    assert answer.status_code == 403 and "awaiting signatures" in answer.json()["message"]


def update_contact(fake, api, document_id: str, signee_id: str, email: str) -> requests.Response:
    change = [{"signeeId": signee_id, "emailAddress": email}]
    return api.patch(f"{fake.api_url}/docs/{document_id}/signature-field", json=change, timeout=5)


def test_contact_update_issues_a_new_signee_id_and_kills_the_old_one(fake, api):
    document_id = create_document(fake, api)
    old = fake.signee_id(document_id, SIGNEE["emailAddress"])
    answer = update_contact(fake, api, document_id, old, "ada@work.example").json()
    assert answer["signeeId"] != old and answer["updated"]["emailAddress"] == "ada@work.example"
    assert fake.signee_id(document_id, "ada@work.example") == answer["signeeId"]
    assert update_contact(fake, api, document_id, old, "ada@home.example").status_code == 404
    with pytest.raises(ValueError):
        fake.sign(document_id, old)


def test_contact_updates_cool_down_for_an_hour_after_two(fake, api):
    document_id = create_document(fake, api)
    signee_id = fake.signee_id(document_id, SIGNEE["emailAddress"])
    signee_id = update_contact(fake, api, document_id, signee_id, "a1@example.com").json()["signeeId"]
    second = update_contact(fake, api, document_id, signee_id, "a2@example.com").json()
    assert around(second["updateCooldown"], 3600)

    fake.advance(60)
    refused = update_contact(fake, api, document_id, second["signeeId"], "a3@example.com")
    assert refused.status_code == 403 and around(refused.json()["updateCooldown"], 3540)
    assert "next change possible in 59 minutes" in refused.json()["message"]
    updates = document(fake, api, document_id)["signeeDetails"][0]["updates"]
    assert around(updates["updateCooldown"], 3540) and updates["lastUpdateAt"]

    fake.advance(3540)
    api = session_for(fake)  # the hour also ended the access token
    assert update_contact(fake, api, document_id, second["signeeId"], "a3@example.com").status_code == 200


def test_contact_update_refused_once_the_signee_signed(fake, api):
    document_id = create_document(fake, api, [signee("one@example.com"), signee("two@example.com")])
    one = fake.signee_id(document_id, "one@example.com")
    fake.sign(document_id, one)
    assert update_contact(fake, api, document_id, one, "uno@example.com").status_code == 403
    fake.sign(document_id, fake.signee_id(document_id, "two@example.com"))
    two = fake.signee_id(document_id, "two@example.com")
    assert update_contact(fake, api, document_id, two, "dos@example.com").status_code == 403


def test_contact_update_cannot_add_a_contact_method(fake, api):
    document_id = create_document(fake, api)
    change = [{"signeeId": fake.signee_id(document_id, SIGNEE["emailAddress"]), "phoneNumber": "+46701234567"}]
    answer = api.patch(f"{fake.api_url}/docs/{document_id}/signature-field", json=change, timeout=5)
    assert answer.status_code == 400


def in_state(fake, api, state: str) -> str:
    document_id = create_document(fake, api)
    if state == "completed":
        fake.sign(document_id, fake.signee_id(document_id, SIGNEE["emailAddress"]))
    elif state == "revoked":
        fake.revoke_by_owner(document_id)
    return document_id


@pytest.mark.parametrize(
    "state,revoke,delete",
    [("awaiting_signatures", 200, 403), ("completed", 403, 204), ("revoked", 403, 204)],
)
def test_revoke_and_delete_follow_the_document_state(fake, api, state, revoke, delete):
    document_id = in_state(fake, api, state)
    assert (
        api.put(f"{fake.api_url}/docs/{document_id}/revoke", json={"errorLanguage": "en"}, timeout=5).status_code
        == revoke
    )
    if revoke == 200:
        details = document(fake, api, document_id)
        assert details["status"] == "revoked" and details["revokedAt"]
    answer = api.delete(f"{fake.api_url}/docs/{document_id}", timeout=5)
    assert answer.status_code == (204 if revoke == 200 else delete)


def test_deleted_document_reports_deleted_and_takes_its_file(fake, api):
    document_id = completed_document(fake, api)
    assert api.delete(f"{fake.api_url}/docs/{document_id}", timeout=5).status_code == 204
    assert document(fake, api, document_id)["status"] == "deleted"
    assert fake.files[fake.documents[document_id]["fileId"]]["deleted"]
    assert api.get(f"{fake.api_url}/docs/{document_id}/signed-file", timeout=5).status_code == 404
    assert api.delete(f"{fake.api_url}/docs/{document_id}", timeout=5).status_code == 404


def test_unknown_document_is_404(fake, api):
    assert api.get(f"{fake.api_url}/docs/no-such-document", timeout=5).status_code == 404


# -- the signed file and field values -----------------------------------------------------------


def test_signed_file_redirects_once_to_a_link_on_the_same_server(fake, api):
    document_id = completed_document(fake, api)
    answer = api.get(f"{fake.api_url}/docs/{document_id}/signed-file", allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    link = answer.headers["Location"]
    assert link.startswith(f"{fake.base_url}/download/")

    download = requests.get(link, timeout=5)
    assert download.status_code == 200 and download.headers["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-")
    assert "Authorization" not in fake.download_requests[0]
    assert requests.get(link, timeout=5).status_code == 403


def test_signed_file_link_expires_after_ten_minutes(fake, api):
    document_id = completed_document(fake, api)
    link = api.get(f"{fake.api_url}/docs/{document_id}/signed-file", allow_redirects=False, timeout=5).headers[
        "Location"
    ]
    fake.advance(601)
    assert requests.get(link, timeout=5).status_code == 403


def test_signed_file_and_field_values_wait_for_completion(fake, api):
    document_id = create_document(fake, api)
    fake.set_field_values(
        document_id, [{"name": "email", "value": ["ada@example.com"]}, {"name": "empty", "value": [""]}]
    )
    assert api.get(f"{fake.api_url}/docs/{document_id}/signed-file", timeout=5).status_code == 403
    assert api.get(f"{fake.api_url}/docs/{document_id}/field-values", timeout=5).status_code == 403
    fake.sign(document_id, fake.signee_id(document_id, SIGNEE["emailAddress"]))
    values = api.get(f"{fake.api_url}/docs/{document_id}/field-values", timeout=5).json()
    assert values == [{"name": "email", "value": ["ada@example.com"]}]


# -- rate limits and faults ---------------------------------------------------------------------


def test_every_api_answer_carries_rate_limit_headers_and_429_beyond_the_limit(fake):
    fake.rate_limit, fake.rate_window = 3, 60
    api = session_for(fake)
    remaining = [api.get(f"{fake.api_url}/user", timeout=5).headers["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]

    refused = api.get(f"{fake.api_url}/user", timeout=5)
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert refused.headers["X-RateLimit-Limit"] == "3" and refused.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(refused.headers["X-RateLimit-Reset"]) <= 60
    assert "Retry-After" not in refused.headers  # the reference names only the X-RateLimit-* headers

    assert session_for(fake).get(f"{fake.api_url}/user", timeout=5).status_code == 200  # its own bucket
    fake.advance(60)
    assert api.get(f"{fake.api_url}/user", timeout=5).status_code == 200


def test_error_answers_carry_rate_limit_headers_too(fake):
    answer = requests.get(f"{fake.api_url}/docs", timeout=5)
    assert answer.status_code == 401 and "X-RateLimit-Reset" in answer.headers


def test_fail_next_answers_the_fault_then_normally(fake, api):
    fake.fail_next("GET", r"/v1/user$", times=2)
    fake.fail_next(
        "POST", r"/v1/docs$", status=503, body={"message": "Down for maintenance"}, headers={"Retry-After": "7"}
    )
    assert [api.get(f"{fake.api_url}/user", timeout=5).status_code for _ in range(3)] == [500, 500, 200]
    assert api.get(f"{fake.api_url}/user", timeout=5).json()["userId"] == fake.account["userId"]

    answer = api.post(f"{fake.api_url}/docs", json={}, timeout=5)
    assert (answer.status_code, answer.headers["Retry-After"]) == (503, "7")
    assert answer.json() == {"message": "Down for maintenance"}
    assert api.post(f"{fake.api_url}/docs", json={}, timeout=5).status_code == 400


def test_fail_next_delay_provokes_a_client_timeout_then_answers_normally(fake, api):
    fake.fail_next("GET", r"/v1/user$", status=None, delay=0.5)
    with pytest.raises(requests.Timeout):
        api.get(f"{fake.api_url}/user", timeout=0.1)
    assert api.get(f"{fake.api_url}/user", timeout=5).status_code == 200
    assert [r.path for r in fake.requests if r.method == "GET"][-2:] == ["/v1/user", "/v1/user"]


def test_requests_are_recorded_with_query_headers_and_body(fake, api):
    api.get(f"{fake.api_url}/docs?limit=5", timeout=5)
    recorded = fake.requests[-1]
    assert (recorded.method, recorded.path, recorded.body) == ("GET", "/v1/docs?limit=5", b"")
    assert recorded.headers["authorization"].startswith("Bearer ")


# -- webhooks -------------------------------------------------------------------------------------


def test_webhook_deliveries_are_signed_over_timestamp_and_raw_body(fake, api, receiver):
    events = ["document.created", "document.opened", "document.signed", "document.completed"]
    secret = register_webhook(fake, api, receiver.url, events)["signingSecret"]
    assert secret.startswith("whsec_")
    document_id = create_document(fake, api)
    ada = fake.signee_id(document_id, SIGNEE["emailAddress"])
    fake.open(document_id, ada)
    fake.sign(document_id, ada)

    assert all(signature_valid(secret, headers, body) for headers, body in receiver.received)
    sent = [json.loads(body)["event"] for _, body in receiver.received]
    assert [event["type"] for event in sent] == events
    assert all(event["data"]["documentId"] == document_id for event in sent)
    assert sent[2]["data"]["signeeId"] == ada and "signeeId" not in sent[3]["data"]
    assert sent[0]["data"]["accountId"] == fake.account["accountId"]
    assert all(d["delivered"] and d["status"] == 200 and d["attempts"] == 1 for d in fake.deliveries)


def test_only_subscribed_events_are_sent(fake, api, receiver):
    register_webhook(fake, api, receiver.url, ["document.revoked"])
    document_id = create_document(fake, api)
    fake.revoke_by_owner(document_id)
    assert [json.loads(body)["event"]["type"] for _, body in receiver.received] == ["document.revoked"]


def test_failed_delivery_is_retried_by_deliver_pending_with_the_same_event(fake, api, receiver):
    receiver.statuses.append(500)
    register_webhook(fake, api, receiver.url)
    document_id = create_document(fake, api)
    fake.sign(document_id, fake.signee_id(document_id, SIGNEE["emailAddress"]))
    [delivery] = fake.deliveries
    assert (delivery["delivered"], delivery["status"], delivery["attempts"]) == (False, 500, 1)

    assert fake.deliver_pending() == 1
    assert (delivery["delivered"], delivery["status"], delivery["attempts"]) == (True, 200, 2)
    first, retry = (json.loads(body)["event"]["eventId"] for _, body in receiver.received)
    assert first == retry
    assert fake.deliver_pending() == 0


def test_deliveries_stop_after_five_retries(fake, api):
    attempts = []
    fake.webhook_transport = lambda url, body, headers: attempts.append(url) or 503
    register_webhook(fake, api, "http://127.0.0.1:9/hooks")
    completed_document(fake, api)
    while fake.deliver_pending():
        pass
    assert len(attempts) == 6 and fake.deliveries[0]["attempts"] == 6


def test_unreachable_receiver_leaves_the_delivery_pending(fake, api):
    def refuse(url, body, headers):
        raise ConnectionRefusedError

    fake.webhook_transport = refuse
    register_webhook(fake, api, "http://127.0.0.1:9/hooks")
    completed_document(fake, api)
    assert fake.deliveries[0]["status"] is None and not fake.deliveries[0]["delivered"]


def test_replay_sends_the_same_bytes_again(fake, api, receiver):
    register_webhook(fake, api, receiver.url)
    completed_document(fake, api)
    assert fake.replay(0) == 200
    (first_headers, first_body), (again_headers, again_body) = receiver.received
    assert again_body == first_body
    assert again_headers["X-Formify-Signature"] == first_headers["X-Formify-Signature"]


def test_forged_events_do_not_verify_and_stale_ones_carry_their_old_timestamp(fake, api, receiver):
    webhook = register_webhook(fake, api, receiver.url)
    event = {"eventId": "e-1", "type": "document.signed", "date": "2024-10-25T14:23:55Z", "data": {"documentId": "d"}}
    assert fake.forge(webhook["webhookId"], event) == 200
    stale = int(fake.now()) - 3600
    fake.forge(webhook["webhookId"], event, timestamp=stale)
    (forged_headers, forged_body), (stale_headers, stale_body) = receiver.received
    assert not signature_valid(webhook["signingSecret"], forged_headers, forged_body)
    assert signature_valid(webhook["signingSecret"], stale_headers, stale_body)
    assert stale_headers["X-Formify-Timestamp"] == str(stale)
    assert json.loads(stale_body) == {"event": event}


def test_rotated_secret_signs_later_deliveries_and_deleted_webhooks_get_none(fake, api, receiver):
    webhook = register_webhook(fake, api, receiver.url)
    url = f"{fake.api_url}/webhooks/{webhook['webhookId']}"
    rotated = api.post(f"{url}/rotate-secret", timeout=5).json()["signingSecret"]
    assert rotated != webhook["signingSecret"]
    details = api.get(url, timeout=5).json()
    assert details["hasSigningSecret"] and "signingSecret" not in details
    assert api.get(f"{fake.api_url}/webhooks", timeout=5).json()[0]["signingSecret"] == rotated

    completed_document(fake, api)
    headers, body = receiver.received[0]
    assert signature_valid(rotated, headers, body)
    assert api.delete(url, timeout=5).status_code == 204
    completed_document(fake, api)
    assert len(receiver.received) == 1


def test_webhook_registration_is_validated(fake, api):
    bad = {"webhookUrl": "ftp://example.com", "eventTypes": ["document.signed"]}
    assert api.post(f"{fake.api_url}/webhooks", json=bad, timeout=5).status_code == 400
    bad = {"webhookUrl": "https://example.com/hook", "eventTypes": ["document.exploded"]}
    assert api.post(f"{fake.api_url}/webhooks", json=bad, timeout=5).status_code == 400


def test_the_shared_base_answers_html_times_out_and_logs(fake, api):
    fake.answer_html_next("GET", r"/v1/user$", status=502)
    page = api.get(f"{fake.api_url}/user", timeout=5)
    assert page.status_code == 502 and page.headers["Content-Type"] == "text/html"
    assert page.text.startswith("<!doctype html>")
    fake.time_out_next("GET", r"/v1/user$", seconds=0.5)
    with pytest.raises(requests.Timeout):
        api.get(f"{fake.api_url}/user", timeout=0.1)
    assert len(fake.requests_to("GET", "/v1/user")) == 2
    assert api.get(f"{fake.api_url}/user", timeout=5).status_code == 200


def test_revoke_needs_the_body_the_reference_requires(fake, api):
    document_id = create_document(fake, api)
    answer = api.put(f"{fake.api_url}/docs/{document_id}/revoke", timeout=5)
    assert answer.status_code == 400 and "errorLanguage" in answer.json()["message"]
    assert fake.documents[document_id]["status"] == "awaiting_signatures"
