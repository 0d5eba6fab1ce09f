"""A stateful fake of Formify's API, true to Formify's API documentation (the "Formify API" v1.0.0
reference, summarized in the provider contract notes): each endpoint answers with exactly the
fields the reference lists for it, no more. It runs as a real HTTP server on 127.0.0.1 on the
shared fake base (`tests/fakes/base.py`), and can inject faults.

    fake = FakeFormify(client_id="paraph-test-client", client_secret="paraph-test-secret").start()
    ...
    fake.stop()

`tests/providers/test_formify_fake_schema.py` checks every answer against schemas transcribed
from the reference, section by section.

Assumptions — every choice the reference does not make, and why (change them here and in the
module named):

1. Error bodies are JSON `{"error": "<code>", "message": "<sentence>"}`: the reference shows no
   error body; a code plus a sentence is the most common shape, and Paraph shows `message`.
   The OAuth endpoints add `error_description` (the same sentence), and their `error` codes are
   RFC 6749's (`invalid_grant`, `invalid_client`, `unsupported_grant_type`, `invalid_request`):
   the reference follows OAuth 2.0 conventions for that endpoint (its `error_language` note).
   A refused contact update adds `updateCooldown`. (state.py, oauth.py, signees.py)
2. Refused grants at POST /oauth/token are 400, as RFC 6749 §5.2 says; the reference names no
   status for them. POST /oauth/revoke answers 400 for an invalid or already revoked token, as
   the reference says. (oauth.py)
3. Refresh tokens do not rotate (the reference does not say they do): a refresh answers with the
   same refresh token, which lives 60 days from the consent. `rotate_refresh_tokens = True`
   makes every refresh issue a new one and retire the old. (oauth.py)
4. A call refused because of the document's state is 403 wherever the reference names no status:
   revoking a completed, revoked or deleted document ("supported only if the document has not
   yet been fully signed"), deleting one that is neither completed nor revoked, the signed file
   before completion, and a contact update during its cooldown. The reference gives 403 for
   reminders, field values and signed signees, so 403 is its word for "not in this state".
   Unknown ids are 404. (documents.py, signees.py)
5. A deleted document answers GET /docs/{id} with status `deleted` (a value the reference
   lists); every other call about it is a 404. (documents.py)
6. GET /docs lists documents oldest first (`list_order = "newest_first"` reverses it); the
   reference names no order. `limit` defaults to 20 and must be 1–50 (the reference gives only
   the maximum). Deleted documents stay listed with status `deleted`. (documents.py)
7. Timestamps in answers (createdAt, updatedAt, signedAt, …) are UTC ISO 8601 with a `Z`, like
   the reference's webhook example; the reference only says "string". `timestamp_format`
   switches to `"naive"` (no zone) or `"epoch"` (Unix seconds as a string) to test tolerant
   readers. Webhook `date`s are always ISO 8601 with `Z`, as in the reference's examples.
   (state.py)
8. GET /docs/{id} includes every documented field, null when it has no value (completedAt
   before completion, templateId without a template), except `aiAssistant`, which the reference
   says is present only when the assistant was enabled. (documents.py)
9. PUT /docs/{id}/revoke needs a JSON object body (the reference marks its body required; its
   only field is `errorLanguage`): no body is a 400. POST /docs/{id}/reminder needs `signeeIds`.
   Neither checks `errorLanguage`. (api.py, signees.py)
10. PATCH /docs/{id}/signature-field answers one object (as the reference documents) when one
    signee changes, and a list of such objects when several do (the request is a list; the
    reference does not say). Its `signeeId` is the signee's new id. A field sent as null, or
    left out, stays unchanged; adding a contact method the signee does not have is a 400. After
    two updates a signee waits 60 minutes from the second. (signees.py)
11. Reminders: at most two per signee in any rolling 60 minutes; a signee who cannot be reminded
    (unknown id, already signed, not yet invited in the signing order, cooling down) is listed
    in `remindersNotSentTo` with a sentence, not refused with a 4xx. (signees.py)
12. The signed file's pre-signed link is on the fake's own server under /download/ (one use,
    10 minutes); it needs no Authorization and records the headers it got in
    `download_requests`. (documents.py, api.py)
13. `phoneNumberDeliveryMethod` accepts `sms` and `whatsapp`: the reference names the options
    "sms" and "WhatsApp" in prose only; lowercase like `sms` is the guess for the wire value.
    (validation.py)
14. Rate limits count per access token in fixed windows (`rate_limit` requests per
    `rate_window` seconds); a 429 carries the documented X-RateLimit-* headers and no
    Retry-After (the reference names none). (server.py)
15. Webhook deliveries: each attempt is signed afresh — X-Formify-Timestamp is "when the event
    was sent", i.e. the attempt — over the same body, so a retry keeps its eventId and `date`
    (the event's time). Events caused by API calls (document.created on POST /docs, revoked,
    deleted) are sent before the API call answers, from the server's thread; those from control
    calls (`sign`, `open`, `revoke_by_owner`, `emit`) before the call returns, from the
    caller's thread. `deliver_pending()` stands for the next slot of the retry schedule (~5 min,
    30 min, 2 h, 24 h) and does not wait for the clock. (webhooks.py)
16. The form-field list (GET /files/{id}/fields, /docs/{id}/fields) is an array of objects whose
    fields the reference names only in prose: fieldId, name, type, required, readOnly, editable,
    defaultValues. (files.py)
17. POST /docs with a `templateId` answers 404 (this account has no templates); creating with
    `aiAssistant.enabled` leaves the document `processing` until `finish_processing()`.
    (documents.py)

Controls for tests (and for the provider contract suite):

- running: `start()`, `stop()`, `with FakeFormify() as fake:`, `base_url`, `api_url`,
  `authorize_url`; `consent(authorize_url) -> callback URL` (what the consent page redirects
  to); `deny_consent`, `redirect_uris`, `rotate_refresh_tokens`, `max_file_size`,
  `rate_limit`/`rate_window`, `timestamp_format`, `list_order`.
- signees: `signee_id(document_id, email_or_phone) -> str`, `open(document_id, signee_id)`,
  `sign(document_id, signee_id)`, `revoke_by_owner(document_id)`,
  `finish_processing(document_id)`, `set_field_values(document_id, [{name, value}])` — each
  sends the webhooks Formify would, and raises ValueError when Formify would not allow it.
- faults (from the shared base): `fail_next(method, path_pattern, *, status=500, body=None,
  headers=None, times=1, delay=0.0, content_type=None)`, `time_out_next(method, path_pattern,
  *, seconds=1.0, times=1)`, `answer_html_next(method, path_pattern, *, status=200, times=1)`;
  `expire_access_tokens()`, `revoke_refresh_tokens()`.
- clock: `now()`, `advance(seconds)` (time-machine moves it too).
- webhooks: `emit(event_type, document_id, *, signee_id=None) -> deliveries` (genuine),
  `forge(webhook_id, event, *, secret=None, timestamp=None) -> status` (wrong secret, or the real
  secret with a stale `timestamp`), `replay(index) -> status` (a captured delivery, byte for
  byte, headers included), `deliver_pending() -> tried` (the next retry, signed afresh),
  `deliveries` (each with webhook_id, event, body, headers, attempts, status, delivered),
  `webhook_transport` (callable(url, body, headers) -> status).
- what exists: `documents`, `files`, `webhooks` (dicts by id; documents hold internals under
  `_` keys), `document_count(status=None)`, `add_document(name, emails, *, age=0.0) -> id` (one
  sent from Formify's app, so the list holds more than Paraph's), `requests` / `requests_to(method, path)` (method,
  path with query, headers, body), `download_requests`, `account`.
"""

from tests.fakes.formify.fake import FakeFormify

__all__ = ["FakeFormify"]
