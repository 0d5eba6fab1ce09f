"""FakeScrive: the running server plus the controls a test turns (see the package docstring)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes.base import FakeServer, Incoming, Reply, json_reply
from tests.fakes.scrive import documents as docs
from tests.fakes.scrive import oauth
from tests.fakes.scrive.state import ApiError, new_id, timestamp

API = "/api/v2/documents"
DOC = API + r"/(?P<document_id>\d+)"
SEALED_PDF_MARK = b"% sealed by FakeScrive\n"
CALLBACK_ATTEMPTS = 10  # "After 10 failed attempts, we will no longer attempt the callback."


class FakeScrive(FakeServer):
    """A Scrive account (Document API v2 and the OAuth 1 endpoints) on 127.0.0.1."""

    name = "FakeScrive/2.0"

    def __init__(self, client_key: str = "paraph-client_1", client_secret: str = "paraph-client-secret"):
        super().__init__()
        self.client_key, self.client_secret = client_key, client_secret
        self.clients = oauth.Clients()
        self.clients.clients[client_key] = client_secret
        # The account owner's personal access credentials (Scrive's "apitoken" … "accesssecret").
        personal_client = oauth.new_client_key()
        self.clients.clients[personal_client] = "personal-client-secret"
        token = oauth.Token(oauth.new_client_key(), "personal-token-secret", personal_client, {"FULL_ACCESS"})
        self.clients.tokens[token.key] = token
        self.personal = {
            "client_key": personal_client,
            "client_secret": "personal-client-secret",
            "token_key": token.key,
            "token_secret": token.secret,
        }
        self.author = {"user_id": "1404", "first_name": "Olivia", "last_name": "Owner", "email": "owner@example.com"}
        self.store = docs.Store()
        self.seal_delay = 0.0  # seconds after closing during which files/main answers 503
        self.duplicate_callbacks = False  # each callback sent twice ("duplicates are normal")
        self.callbacks: list[dict] = []  # every callback made: url, body, attempts, status, delivered
        self.list_cap = 100  # "Server may cap to a lower value."
        self.retention = {"immediate_trash": False, "idle_doc_timeout_closed": 365}

    @property
    def documents(self) -> dict[str, dict]:
        return self.store.documents

    # -- the HTTP side ------------------------------------------------------------------------

    def routes(self):
        return [
            ("GET", "/oauth/temporarycredentials", self._temporary),
            ("POST", "/oauth/temporarycredentials", self._temporary),
            ("GET", "/oauth/tokencredentials", self._token),
            ("POST", "/oauth/tokencredentials", self._token),
            ("GET", "/flow/folders/home/data_retention", self._api("", self._flow_retention)),
            ("GET", "/api/v2/dataretentionpolicy", self._api("", self._retention)),
            ("POST", API + "/new", self._api("DOC_CREATE", self._new)),
            ("GET", API + "/list", self._api("DOC_CHECK", self._list)),
            ("POST", DOC + "/update", self._api("DOC_CREATE", self._update)),
            ("POST", DOC + "/start", self._api("DOC_SEND", self._start)),
            ("GET", DOC + "/get", self._api("DOC_CHECK", self._get)),
            ("POST", DOC + "/cancel", self._api("DOC_SEND", self._cancel)),
            ("POST", DOC + "/prolong", self._api("DOC_SEND", self._prolong)),
            ("POST", DOC + "/remind", self._api("DOC_SEND", self._remind)),
            ("POST", DOC + "/trash", self._api("DOC_SEND", self._trash)),
            ("POST", DOC + "/delete", self._api("DOC_SEND", self._delete)),
            ("GET", DOC + r"/files/main(?:/(?P<filename>[^/]+))?", self._api("DOC_CHECK", self._main_file)),
            ("POST", DOC + r"/(?P<signatory_id>\d+)/changeemailandmobile", self._api("DOC_SEND", self._change_contact)),
        ]

    def error_reply(self, status: int, message: str) -> Reply:
        types = {
            400: "request_parameters_invalid",
            401: "invalid_authorisation",
            403: "insufficient_privileges",
            404: "endpoint_not_found",
            405: "endpoint_not_found",
            409: "conflict_error",
        }
        return ApiError(status, types.get(status, "server_error"), message).reply()

    def _api(self, privilege: str, handler):
        def answer(incoming: Incoming) -> Reply:
            try:
                token = oauth.authenticate(self.clients, incoming.headers.get("Authorization"), privilege)
                with self.lock:
                    reply = handler(incoming, token)
                    queued = self._take_queue()
                self._send_callbacks(queued, immediately=False)
                return reply
            except ApiError as error:
                return error.reply()

        return answer

    def _temporary(self, incoming: Incoming) -> Reply:
        try:
            with self.lock:
                body = oauth.temporary_credentials(self.clients, incoming.headers.get("Authorization"), incoming.query)
        except ApiError as error:
            return error.reply()
        return Reply(200, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def _token(self, incoming: Incoming) -> Reply:
        try:
            with self.lock:
                body = oauth.token_credentials(self.clients, incoming.headers.get("Authorization"))
        except ApiError as error:
            return error.reply()
        return Reply(200, body, {"Content-Type": "application/x-www-form-urlencoded"})

    # -- Document API calls -------------------------------------------------------------------

    def _document(self, incoming: Incoming, token) -> dict:
        document = self.store.documents.get(incoming.params["document_id"])
        internal = self.store.internal.get(incoming.params["document_id"])
        if document is None or document["is_deleted"] or internal.owner != token.key:
            missing = incoming.params["document_id"]
            message = f"The resource was not found. A document with id {missing} was not found."
            raise ApiError(404, "resource_not_found", message)
        return document

    def _new(self, incoming: Incoming, token) -> Reply:
        parts = _multipart(incoming)
        filename, content = parts.get("file", ("", b""))
        if content and not content.startswith(b"%PDF"):
            raise ApiError(400, "request_parameters_parse_error", "The parameter `file` could not be parsed.")
        document = docs.new_document(
            self.store, self.now(), filename=filename, content=content, author=self.author, owner=token.key
        )
        return json_reply(201, document)

    def _list(self, incoming: Incoming, token) -> Reply:
        """GET /documents/list?offset&max&filter: the caller's documents, newest first, filtered by
        status, tag or is_author (every document here is the caller's)."""
        try:
            offset, limit = int(incoming.query.get("offset", "0")), int(incoming.query.get("max", "100"))
            filters = json.loads(incoming.query.get("filter", "[]"))
        except ValueError:
            raise ApiError(
                400, "request_parameters_parse_error", "offset, max or filter could not be parsed."
            ) from None
        if offset < 0 or limit < 1 or not isinstance(filters, list):
            raise ApiError(400, "request_parameters_invalid", "offset must be 0 or more, max 1 or more.")
        mine = [
            d
            for d, i in zip(self.store.documents.values(), self.store.internal.values(), strict=True)
            if i.owner == token.key and not d["is_deleted"] and all(_matches(d, f) for f in filters)
        ]
        mine.reverse()
        limit = min(limit, self.list_cap)
        return json_reply(
            200, {"total_matching": min(len(mine), offset + 1000), "documents": mine[offset : offset + limit]}
        )

    def _update(self, incoming: Incoming, token) -> Reply:
        document = self._document(incoming, token)
        form = incoming.form()
        if "document" not in form:
            raise ApiError(400, "request_parameters_missing", "The parameter(s) document were missing.")
        docs.check_version(document, form)
        try:
            given = json.loads(form["document"])
        except ValueError:
            raise ApiError(
                400,
                "request_parameters_parse_error",
                "The parameter 'document' could not be parsed. Error details: Invalid JSON",
            ) from None
        docs.update(self.store, document, given, self.now())
        return json_reply(200, document)

    def _start(self, incoming: Incoming, token) -> Reply:
        document = self._document(incoming, token)
        docs.check_version(document, incoming.form())
        docs.start(document, self.now())
        self._queue(document)
        return json_reply(200, document)

    def _get(self, incoming: Incoming, token) -> Reply:
        document = self._document(incoming, token)
        self._time_out_if_due(document)
        return json_reply(200, document)

    def _cancel(self, incoming: Incoming, token) -> Reply:
        document = self._document(incoming, token)
        docs.check_version(document, incoming.form())
        self._time_out_if_due(document)
        if document["status"] != "pending":
            raise docs.state_error("The document state is not `Pending`.")
        document["status"] = "canceled"
        docs.touch(document, self.now())
        self._queue(document)
        return json_reply(200, document)

    def _prolong(self, incoming: Incoming, token) -> Reply:
        document = self._document(incoming, token)
        form = incoming.form()
        docs.check_version(document, form)
        days = form.get("days", "")
        if not days.isdigit() or not 1 <= int(days) <= 90:
            raise ApiError(400, "request_parameters_invalid", "The `days` parameter must be a number between 1 and 90.")
        self._time_out_if_due(document)
        if document["status"] != "timedout":
            raise docs.state_error("The document has not timed out. Only timed out documents can be prolonged.")
        document["status"] = "pending"
        document["timeout_time"] = timestamp(self.now() + int(days) * 86400)
        docs.touch(document, self.now())
        self._queue(document)
        return json_reply(200, document)

    def _remind(self, incoming: Incoming, token) -> Reply:
        document = self._document(incoming, token)
        docs.check_version(document, incoming.form())
        self._time_out_if_due(document)
        if document["status"] != "pending":
            raise docs.state_error("The document status should be `Pending`.")
        self.store.internal[document["id"]].reminders += 1
        return Reply(202)

    def _trash(self, incoming: Incoming, token) -> Reply:
        document = self._document(incoming, token)
        docs.check_version(document, incoming.form())
        if document["status"] == "pending":
            raise docs.state_error("Pending documents can not be trashed or deleted.")
        if document["is_trashed"]:
            raise docs.state_error("The document is in Trash already.")
        document["is_trashed"] = True
        docs.touch(document, self.now())
        return json_reply(200, document)

    def _delete(self, incoming: Incoming, token) -> Reply:
        document = self._document(incoming, token)
        docs.check_version(document, incoming.form())
        if not document["is_trashed"]:
            raise docs.state_error("Only documents in Trash can be deleted.")
        document["is_deleted"] = True
        docs.touch(document, self.now())
        return json_reply(200, document)

    def _main_file(self, incoming: Incoming, token) -> Reply:
        document = self._document(incoming, token)
        internal = self.store.internal[document["id"]]
        self._time_out_if_due(document)
        if document["status"] == "closed":
            if document["sealed_file"] is None:
                raise ApiError(
                    503, "server_error", "The sealed PDF for the document is not ready yet, please wait and try again."
                )
            return Reply(200, internal.content + SEALED_PDF_MARK, {"Content-Type": "application/pdf"})
        return Reply(200, internal.content, {"Content-Type": "application/pdf"})

    def _change_contact(self, incoming: Incoming, token) -> Reply:
        document = self._document(incoming, token)
        form = incoming.form()
        docs.check_version(document, form)
        if document["status"] != "pending":
            raise docs.state_error("The document status should be 'Pending'.")
        signatory = docs.party(document, incoming.params["signatory_id"])
        email, mobile = form.get("email", ""), form.get("mobile_number", "")
        if not email and not mobile:
            raise ApiError(400, "request_parameters_missing", "The parameter(s) email, mobile_number were missing.")
        if signatory["is_author"] or signatory["sign_time"]:
            raise ApiError(409, "signatory_state_error", "The signatory has already signed or is the author.")
        for kind, value in (("email", email), ("mobile", mobile)):
            if not value:
                continue
            if not docs.field_value(signatory, kind) and not any(f["type"] == kind for f in signatory["fields"]):
                raise ApiError(409, "signatory_state_error", f"The signatory does not have a {kind} field already.")
            if kind == "mobile" and not docs.valid_mobile(value):
                raise ApiError(409, "request_parameters_parse_error", "mobile_number is not in the correct format.")
            for item in signatory["fields"]:
                if item["type"] == kind:
                    item["value"] = value
        docs.touch(document, self.now())
        return json_reply(200, document)

    def _flow_retention(self, incoming: Incoming, token) -> Reply:
        return json_reply(200, {"data_retention_policy": dict(self.retention)})

    def _retention(self, incoming: Incoming, token) -> Reply:
        return json_reply(
            200,
            {
                "data_retention_policy": dict(self.retention),
                "company_data_retention_policy": {"immediate_trash": False},
            },
        )

    # -- time ---------------------------------------------------------------------------------

    def _time_out_if_due(self, document: dict) -> None:
        """A pending document past its timeout_time is timed out when next looked at."""
        internal = self.store.internal[document["id"]]
        if document["status"] == "pending" and internal.closed_at is None:
            due = _epoch(document["timeout_time"])
            if due is not None and self.now() >= due:
                document["status"] = "timedout"
                docs.touch(document, self.now())
                self._queue(document)
        if document["status"] == "closed" and document["sealed_file"] is None:
            if self.now() >= (internal.closed_at or 0) + self.seal_delay:
                document["sealed_file"] = {"id": new_id(), "name": document["file"]["name"]}
                docs.touch(document, self.now())
                self._queue(document)

    # -- callbacks ----------------------------------------------------------------------------

    def _queue(self, document: dict) -> None:
        """A callback about the document's current state (sent once the change is made)."""
        url = document["api_callback_url"]
        if not url:
            return
        body = urlencode(
            {
                "document_id": document["id"],
                "document_json": json.dumps(document),
                "document_signed_and_sealed": "true" if document["sealed_file"] else "false",
            }
        ).encode()
        for _ in range(2 if self.duplicate_callbacks else 1):
            self.callbacks.append(
                {
                    "url": url,
                    "body": body,
                    "attempts": 0,
                    "status": None,
                    "delivered": False,
                    "document_id": document["id"],
                    "queued": True,
                }
            )

    def _take_queue(self) -> list[dict]:
        queued = [c for c in self.callbacks if c.pop("queued", False)]
        return queued

    def _send_callbacks(self, callbacks: list[dict], *, immediately: bool) -> None:
        """Callbacks caused by an API call wait for the retry slot (`deliver_pending`): Scrive makes
        them after it answers, never inside the call. Those caused by a control go out now."""
        if not immediately:
            return
        for callback in callbacks:
            self._attempt(callback)

    def _attempt(self, callback: dict) -> None:
        callback["attempts"] += 1
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        status = self.post_webhook(callback["url"], callback["body"], headers)
        callback["status"] = status
        callback["delivered"] = status is not None and 200 <= status < 300

    def deliver_pending(self) -> int:
        """The next slot of Scrive's retry schedule (first after 5 minutes, 10 attempts in all):
        every callback not yet answered 2xx is tried again; returns how many were tried."""
        with self.lock:
            due = [c for c in self.callbacks if not c["delivered"] and c["attempts"] < CALLBACK_ATTEMPTS]
        for callback in due:
            self._attempt(callback)
        return len(due)

    # -- what signatories and the account owner do --------------------------------------------

    def _control(self, document_id: str, change) -> None:
        with self.lock:
            document = self.store.documents.get(document_id)
            if document is None:
                raise ValueError(f"No document {document_id}.")
            self._time_out_if_due(document)
            change(document)
            queued = self._take_queue()
        self._send_callbacks(queued, immediately=True)

    def signatory_id(self, document_id: str, email_or_mobile: str) -> str:
        with self.lock:
            for party in self.store.documents[document_id]["parties"][1:]:
                if email_or_mobile in (docs.field_value(party, "email"), docs.field_value(party, "mobile")):
                    return party["id"]
        raise ValueError(f"No party {email_or_mobile} on {document_id}.")

    def open(self, document_id: str, signatory_id: str) -> None:
        """The party follows the invitation and looks at the document."""

        def change(document):
            party = docs.party(document, signatory_id)
            stamp = timestamp(self.now())
            party["read_invitation_time"] = party["read_invitation_time"] or stamp
            party["seen_time"] = party["seen_time"] or stamp
            docs.touch(document, self.now())
            self._queue(document)

        self._as_value_error(document_id, change)

    def sign(self, document_id: str, signatory_id: str) -> None:
        """A signing party signs (or an approver approves): sign_time. After the last one the
        document is closed, and sealed `seal_delay` seconds later."""

        def change(document):
            party = docs.party(document, signatory_id)
            if document["status"] != "pending":
                raise ValueError(f"The document is {document['status']}, not pending.")
            if party["signatory_role"] not in ("signing_party", "approver") or party["sign_time"]:
                raise ValueError("This party cannot sign.")
            if not docs.turn_of(document, party):
                raise ValueError("It is not this party's turn in the signing order.")
            stamp = timestamp(self.now())
            party["seen_time"] = party["seen_time"] or stamp
            party["sign_time"] = stamp
            if all(p["sign_time"] for p in docs.acting_parties(document)):
                document["status"] = "closed"
                self.store.internal[document["id"]].closed_at = self.now()
                if self.seal_delay <= 0:
                    document["sealed_file"] = {"id": new_id(), "name": document["file"]["name"]}
            docs.touch(document, self.now())
            self._queue(document)

        self._as_value_error(document_id, change)

    def reject(self, document_id: str, signatory_id: str, reason: str = "") -> None:
        def change(document):
            party = docs.party(document, signatory_id)
            if document["status"] != "pending" or party["sign_time"]:
                raise ValueError("Only a pending document not yet signed by this party can be rejected.")
            party["rejected_time"] = timestamp(self.now())
            party["rejection_reason"] = reason or None
            document["status"] = "rejected"
            docs.touch(document, self.now())
            self._queue(document)

        self._as_value_error(document_id, change)

    def bounce(self, document_id: str, signatory_id: str, channel: str = "email") -> None:
        """The invitation could not be delivered by `channel` (email | mobile)."""

        def change(document):
            docs.party(document, signatory_id)[f"{channel}_delivery_status"] = "not_delivered"
            docs.touch(document, self.now())

        self._as_value_error(document_id, change)

    def seal_now(self, document_id: str) -> None:
        """Sealing finishes (the clock passes `seal_delay`): sealed_file, and a callback."""
        self.advance(self.seal_delay)
        self._as_value_error(document_id, lambda document: None)

    def time_out(self, document_id: str) -> None:
        """The document's days to sign run out."""
        with self.lock:
            due = _epoch(self.store.documents[document_id]["timeout_time"]) or self.now()
        self.advance(max(0.0, due - self.now()) + 1)
        self._as_value_error(document_id, lambda document: None)

    def change_elsewhere(self, document_id: str) -> None:
        """Someone changes the document in Scrive's app: its object_version moves on."""
        self._as_value_error(document_id, lambda document: docs.touch(document, self.now()))

    def callback_now(self, document_id: str) -> None:
        """Scrive sends a callback about the document's current state."""
        self._as_value_error(document_id, self._queue)

    def reminders(self, document_id: str) -> int:
        return self.store.internal[document_id].reminders

    def document_count(self, *, status: str | None = None, live: bool = False) -> int:
        with self.lock:
            return sum(
                1
                for d in self.store.documents.values()
                if (status is None or d["status"] == status) and not (live and (d["is_trashed"] or d["is_deleted"]))
            )

    def revoke_tokens(self) -> None:
        """Every token granted so far is revoked in Scrive's UI: 401 invalid_authorisation."""
        with self.lock:
            for token in self.clients.tokens.values():
                token.revoked = True

    def limit_privileges(self, token_key: str, privileges: set[str]) -> None:
        with self.lock:
            self.clients.tokens[token_key].privileges = set(privileges)

    def authorize(self, authorize_url: str, *, grant: bool = True) -> str:
        """The authorization page: where it redirects the browser once the user grants (or denies)."""
        parts = urlsplit(authorize_url)
        if f"{parts.scheme}://{parts.netloc}" != self.base_url or parts.path != "/oauth/authorization":
            raise ValueError(f"{authorize_url} is not this fake's authorization page.")
        with self.lock:
            return oauth.authorize(self.clients, dict(parse_qsl(parts.query)).get("oauth_token", ""), grant=grant)

    def _as_value_error(self, document_id: str, change) -> None:
        try:
            self._control(document_id, change)
        except ApiError as error:
            raise ValueError(error.message) from None


def _matches(document: dict, rule) -> bool:
    if not isinstance(rule, dict):
        raise ApiError(400, "request_parameters_invalid", "Each filter must be an object.")
    kind = rule.get("filter_by")
    if kind == "status":
        return document["status"] in (rule.get("statuses") or [])
    if kind == "tag":
        return {"name": rule.get("name"), "value": rule.get("value")} in document["tags"]
    if kind == "is_author":
        return True
    raise ApiError(400, "request_parameters_invalid", f"filter_by {kind!r} is not supported here.")


def _multipart(incoming: Incoming) -> dict[str, tuple[str, bytes]]:
    """name -> (filename, content) of a multipart/form-data body."""
    content_type = incoming.headers.get("Content-Type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(400, "request_parameters_parse_error", "The request must be multipart/form-data.")
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + incoming.body)
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            parts[name] = (part.get_filename() or "", part.get_payload(decode=True) or b"")
    return parts


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
