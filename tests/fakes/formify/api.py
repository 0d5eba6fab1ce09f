"""The HTTP endpoints: each turns a request into a call on the account and its answer into a reply.

Reference: Formify API docs (every section; the route table below lists what the fake serves).
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesHeaderParser
from urllib.parse import quote

from tests.fakes.base import Incoming, Reply, json_reply
from tests.fakes.formify.documents import DocumentStore
from tests.fakes.formify.files import FileStore
from tests.fakes.formify.oauth import ConsentRefused, OAuthServer
from tests.fakes.formify.state import ApiError, FormifyState
from tests.fakes.formify.webhooks import Webhooks

# Formify's consent page is a single-page app: the query rides in the fragment, which only the
# browser sees, so this page hands it to /app/consent the way the real app's script would.
CONSENT_PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>Formify</title></head>
<body><p id="status">Formify</p>
<script>
  var hash = window.location.hash, query = hash.indexOf("?");
  if (hash.indexOf("#/oauth") === 0 && query !== -1) {
    window.location.replace("/app/consent" + hash.slice(query));
  } else {
    document.getElementById("status").textContent = "Nothing to authorize.";
  }
</script></body></html>
"""


def request_json(incoming: Incoming):
    """The JSON body; ApiError 400 when it is not JSON."""
    try:
        return incoming.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None


class FormifyApi:
    def __init__(self, state: FormifyState):
        self.state = state
        self.oauth = OAuthServer(state)
        self.files = FileStore(state)
        self.webhooks = Webhooks(state)
        self.documents = DocumentStore(state, self.files, self.webhooks)

    # -- OAuth ----------------------------------------------------------------------------------

    def oauth_token(self, incoming: Incoming) -> Reply:
        reply = json_reply(200, self.oauth.token(incoming.form()))
        reply.headers["Cache-Control"] = "no-store"
        return reply

    def oauth_revoke(self, incoming: Incoming) -> Reply:
        # The docs show both a JSON and a form-encoded body.
        body = request_json(incoming) if "json" in incoming.headers.get("Content-Type", "") else incoming.form()
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ApiError(400, "invalid_request", "token is required.", error_description="token is required.")
        self.oauth.revoke(token)
        return Reply(200)

    def consent_page(self, incoming: Incoming) -> Reply:
        return Reply(200, CONSENT_PAGE, {"Content-Type": "text/html; charset=utf-8"})

    def consent_decision(self, incoming: Incoming) -> Reply:
        try:
            location = self.oauth.consent(incoming.query)
        except ConsentRefused as refused:
            return Reply(400, str(refused).encode(), {"Content-Type": "text/plain; charset=utf-8"})
        return Reply(302, b"", {"Location": location})

    def user(self, incoming: Incoming) -> Reply:
        return json_reply(200, dict(self.state.account))

    # -- files ----------------------------------------------------------------------------------

    def upload_file(self, incoming: Incoming) -> Reply:
        name, content = _multipart_file(incoming)
        return json_reply(201, {"fileId": self.files.upload(name, content)})

    def merge_files(self, incoming: Incoming) -> Reply:
        return json_reply(201, {"fileId": self.files.merge(request_json(incoming))})

    def delete_file(self, incoming: Incoming) -> Reply:
        self.files.delete(incoming.params["file_id"])
        return Reply(204)

    def file_fields(self, incoming: Incoming) -> Reply:
        with self.state.lock:
            return json_reply(200, self.files.get(incoming.params["file_id"])["fields"])

    # -- documents ------------------------------------------------------------------------------

    def create_document(self, incoming: Incoming) -> Reply:
        return json_reply(201, self.documents.create(request_json(incoming)))

    def list_documents(self, incoming: Incoming) -> Reply:
        return json_reply(200, self.documents.listing(incoming.query))

    def get_document(self, incoming: Incoming) -> Reply:
        return json_reply(200, self.documents.view(incoming.params["document_id"]))

    def document_fields(self, incoming: Incoming) -> Reply:
        return json_reply(200, self.documents.form_fields(incoming.params["document_id"]))

    def update_signees(self, incoming: Incoming) -> Reply:
        return json_reply(200, self.documents.update_signees(incoming.params["document_id"], request_json(incoming)))

    def remind(self, incoming: Incoming) -> Reply:
        return json_reply(200, self.documents.remind(incoming.params["document_id"], request_json(incoming)))

    def revoke_document(self, incoming: Incoming) -> Reply:
        body = request_json(incoming)
        if not isinstance(body, dict):
            # "Request body (required)": a JSON object, whose only field is errorLanguage.
            raise ApiError(
                400, "validation_error", 'The request body must be a JSON object, like {"errorLanguage": "en"}.'
            )
        return json_reply(200, self.documents.revoke(incoming.params["document_id"]))

    def signed_file(self, incoming: Incoming) -> Reply:
        return Reply(302, b"", {"Location": self.documents.signed_file_url(incoming.params["document_id"])})

    def download(self, incoming: Incoming) -> Reply:
        with self.state.lock:
            self.state.download_requests.append(incoming.headers)
        name, content = self.documents.download(incoming.params["token"])
        disposition = f"attachment; filename*=UTF-8''{quote(name)}"
        return Reply(200, content, {"Content-Type": "application/pdf", "Content-Disposition": disposition})

    def field_values(self, incoming: Incoming) -> Reply:
        return json_reply(200, self.documents.field_values(incoming.params["document_id"]))

    def delete_document(self, incoming: Incoming) -> Reply:
        self.documents.delete(incoming.params["document_id"])
        return Reply(204)

    # -- webhooks -------------------------------------------------------------------------------

    def register_webhook(self, incoming: Incoming) -> Reply:
        return json_reply(201, self.webhooks.register(request_json(incoming)))

    def list_webhooks(self, incoming: Incoming) -> Reply:
        return json_reply(200, self.webhooks.listing())

    def get_webhook(self, incoming: Incoming) -> Reply:
        return json_reply(200, self.webhooks.detail(incoming.params["webhook_id"]))

    def delete_webhook(self, incoming: Incoming) -> Reply:
        self.webhooks.delete(incoming.params["webhook_id"])
        return Reply(204)

    def rotate_webhook_secret(self, incoming: Incoming) -> Reply:
        return json_reply(200, self.webhooks.rotate_secret(incoming.params["webhook_id"]))


_ID = "[^/]+"
# (method, full path pattern, FormifyApi method). /v1 routes outside /v1/oauth need a bearer token.
# GET /docs/{documentId}/history is left out: the reference says it is not available in production.
ROUTES = [
    ("POST", "/v1/oauth/token", "oauth_token"),
    ("POST", "/v1/oauth/revoke", "oauth_revoke"),
    ("GET", "/app/?", "consent_page"),
    ("GET", "/app/consent", "consent_decision"),
    ("GET", f"/download/(?P<token>{_ID})", "download"),
    ("GET", "/v1/user", "user"),
    ("POST", "/v1/files", "upload_file"),
    ("POST", "/v1/files/merge", "merge_files"),
    ("DELETE", f"/v1/files/(?P<file_id>{_ID})", "delete_file"),
    ("GET", f"/v1/files/(?P<file_id>{_ID})/fields", "file_fields"),
    ("POST", "/v1/docs", "create_document"),
    ("GET", "/v1/docs", "list_documents"),
    ("GET", f"/v1/docs/(?P<document_id>{_ID})", "get_document"),
    ("DELETE", f"/v1/docs/(?P<document_id>{_ID})", "delete_document"),
    ("GET", f"/v1/docs/(?P<document_id>{_ID})/fields", "document_fields"),
    ("PATCH", f"/v1/docs/(?P<document_id>{_ID})/signature-field", "update_signees"),
    ("POST", f"/v1/docs/(?P<document_id>{_ID})/reminder", "remind"),
    ("PUT", f"/v1/docs/(?P<document_id>{_ID})/revoke", "revoke_document"),
    ("GET", f"/v1/docs/(?P<document_id>{_ID})/signed-file", "signed_file"),
    ("GET", f"/v1/docs/(?P<document_id>{_ID})/field-values", "field_values"),
    ("POST", "/v1/webhooks", "register_webhook"),
    ("GET", "/v1/webhooks", "list_webhooks"),
    ("GET", f"/v1/webhooks/(?P<webhook_id>{_ID})", "get_webhook"),
    ("DELETE", f"/v1/webhooks/(?P<webhook_id>{_ID})", "delete_webhook"),
    ("POST", f"/v1/webhooks/(?P<webhook_id>{_ID})/rotate-secret", "rotate_webhook_secret"),
]


def _multipart_file(incoming: Incoming) -> tuple[str, bytes]:
    """The `file` part of a multipart/form-data body, byte for byte: (file name, content)."""
    content_type = Message()
    content_type["Content-Type"] = incoming.headers.get("Content-Type", "")
    boundary = content_type.get_param("boundary")
    if content_type.get_content_type() != "multipart/form-data" or not boundary:
        raise ApiError(400, "validation_error", "Upload the file as multipart/form-data in a field named file.")
    for part in incoming.body.split(b"--" + str(boundary).encode())[1:-1]:
        head, _, content = part.partition(b"\r\n\r\n")
        headers = BytesHeaderParser().parsebytes(head.lstrip(b"\r\n"))
        if headers.get_param("name", header="content-disposition") == "file":
            return headers.get_filename() or "file.pdf", content.removesuffix(b"\r\n")
    raise ApiError(400, "validation_error", "The multipart body has no field named file.")
