"""One small function per Scrive endpoint, all through the shared HTTP layer.

Reference: Scrive Document API v2 (Swagger 2.0, `api/documents/**`), "Errors"; the "is auth
working" check from the provider contract notes. Requests are form-encoded or multipart, never
JSON bodies (JSON travels inside the `document` form field).

Scrive's error bodies are `{error_type, error_message, http_code}`; the statuses each call
documents (400, 403, 404, 409, and 503 for a sealed file not ready) are read here so that the
sentence a user sees carries Scrive's own message, or names the missing OAuth privilege.
"""

from __future__ import annotations

import json

import requests

from providers.base import ProviderError, UnreadableAnswer
from providers.http import ProviderHttp

SCRIVE = "Scrive"
DOCUMENTS = "api/v2/documents"
READ = (400, 403, 404, 409)
# The OAuth privilege each call needs (Reference: "OAuth Privileges required" of each call).
CREATE, SEND, CHECK = "DOC_CREATE", "DOC_SEND", "DOC_CHECK"


class Refused(ProviderError):
    """A call Scrive refused with one of its documented errors (`error_type`, `status`)."""

    def __init__(self, message: str, *, status: int, error_type: str):
        super().__init__(message, permanent=True)
        self.status = status
        self.error_type = error_type


def refused(response: requests.Response, privilege: str) -> Refused:
    error_type, said = _error(response)
    status = response.status_code
    if status == 403 and error_type == "insufficient_privileges":
        message = (
            f"Scrive refused: this connection lacks the {privilege} privilege. Connect the account again, granting "
            f"{privilege}, or use personal access credentials."
        )
    elif status == 404:
        message = f"Scrive does not know this document (404){': ' + said if said else ''}."
    else:
        message = f"Scrive refused the request{': ' + said if said else f' ({status})'}."
    return Refused(message, status=status, error_type=error_type)


def _error(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    kind, message = body.get("error_type"), body.get("error_message")
    return (kind if isinstance(kind, str) else ""), (message.strip()[:300] if isinstance(message, str) else "")


def _call(http: ProviderHttp, method: str, path: str, privilege: str, **kwargs) -> requests.Response:
    response = http.request(method, path, expect=READ + kwargs.pop("expect", ()), **kwargs)
    if response.status_code in READ:
        raise refused(response, privilege)
    return response


def _document(response: requests.Response) -> dict:
    try:
        document = response.json()
    except ValueError:
        raise UnreadableAnswer(SCRIVE, "the body is not JSON") from None
    if not isinstance(document, dict):
        raise UnreadableAnswer(SCRIVE, "the answer is not a document")
    return document


def _versioned(version: int | None) -> dict:
    return {"object_version": str(version)} if version is not None else {}


def auth_check(http: ProviderHttp) -> requests.Response:
    # Reference: contract notes, "Is auth working" check — GET /flow/folders/home/data_retention.
    return http.request("GET", "flow/folders/home/data_retention", expect=(401, 403))


def document_new(http: ProviderHttp, filename: str, content: bytes) -> dict:
    # Reference: POST /documents/new, multipart `file` → 201 Document (preparation, author party 0).
    files = {"file": (filename, content, "application/pdf")}
    return _document(_call(http, "POST", f"{DOCUMENTS}/new", CREATE, files=files))


def document_list(http: ProviderHttp, filters: list, *, offset: int, limit: int) -> dict:
    # Reference: GET /documents/list?offset&max&filter → {total_matching, documents[Document]}.
    params = {"offset": offset, "max": limit, "filter": json.dumps(filters)}
    answer = _document(_call(http, "GET", f"{DOCUMENTS}/list", CHECK, params=params))
    return answer


def document_update(http: ProviderHttp, document_id: str, document: dict, version: int | None) -> dict:
    # Reference: POST /documents/{id}/update, form `document=<JSON>` (+ object_version) → 200 Document.
    data = {"document": json.dumps(document), **_versioned(version)}
    return _document(_call(http, "POST", f"{DOCUMENTS}/{document_id}/update", CREATE, data=data))


def document_start(http: ProviderHttp, document_id: str, version: int | None) -> dict:
    # Reference: POST /documents/{id}/start → 200 Document (pending).
    return _document(_call(http, "POST", f"{DOCUMENTS}/{document_id}/start", SEND, data=_versioned(version)))


def document_get(http: ProviderHttp, document_id: str) -> dict:
    # Reference: GET /documents/{id}/get → 200 Document.
    return _document(_call(http, "GET", f"{DOCUMENTS}/{document_id}/get", CHECK))


def document_cancel(http: ProviderHttp, document_id: str) -> None:
    # Reference: POST /documents/{id}/cancel → 200 Document; 409 when not pending.
    _call(http, "POST", f"{DOCUMENTS}/{document_id}/cancel", SEND)


def document_prolong(http: ProviderHttp, document_id: str, days: int) -> dict:
    # Reference: POST /documents/{id}/prolong, form `days` 1–90 → 200 Document; timed-out only.
    return _document(_call(http, "POST", f"{DOCUMENTS}/{document_id}/prolong", SEND, data={"days": str(days)}))


def document_remind(http: ProviderHttp, document_id: str) -> None:
    # Reference: POST /documents/{id}/remind → 202, empty: every party who has not signed.
    _call(http, "POST", f"{DOCUMENTS}/{document_id}/remind", SEND)


def document_trash(http: ProviderHttp, document_id: str) -> None:
    # Reference: POST /documents/{id}/trash → 200 Document; 409 when pending or already in Trash.
    _call(http, "POST", f"{DOCUMENTS}/{document_id}/trash", SEND)


def document_delete(http: ProviderHttp, document_id: str) -> None:
    # Reference: POST /documents/{id}/delete → 200 Document; the document must be in Trash.
    _call(http, "POST", f"{DOCUMENTS}/{document_id}/delete", SEND)


def main_file(http: ProviderHttp, document_id: str) -> requests.Response:
    """The answer as it is: 200 with the PDF, or 503 while Scrive seals it."""
    # Reference: GET /documents/{id}/files/main/{filename} → the PDF; 503 shortly after closing.
    return _call(http, "GET", f"{DOCUMENTS}/{document_id}/files/main/{document_id}.pdf", CHECK, expect=(503,))


def contact_change(http: ProviderHttp, document_id: str, signatory_id: str, *, email: str, mobile: str) -> dict:
    # Reference: POST /documents/{id}/{signatory_id}/changeemailandmobile, form email / mobile_number.
    data = {key: value for key, value in (("email", email), ("mobile_number", mobile)) if value}
    path = f"{DOCUMENTS}/{document_id}/{signatory_id}/changeemailandmobile"
    return _document(_call(http, "POST", path, SEND, data=data))
