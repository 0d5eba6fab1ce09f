"""A stateful fake of Scrive's Document API v2 and its OAuth 1 endpoints, true to Scrive's
published reference: the Document API v2 Swagger 2.0 spec (its definitions and the calls used
here are kept in `tests/providers/scrive/spec/`), the "Authentication", "Callbacks" and "Errors"
sections of that spec, and the Flow guide's use of the Document API. Every answer is the Document
JSON the spec defines, with no field the spec does not list; `tests/providers/scrive/test_fake_schema.py`
validates each answer against the spec itself.

    fake = FakeScrive().start()
    ... fake.base_url ...
    fake.stop()

Assumptions — every gap the reference leaves, and the choice made here:

1. `parties` in an update is the whole list: an entry with an `id` updates that party, an entry
   without one adds a party from the defaults (the reference: "add an extra empty object"), a
   party left out is removed. The author (party 0) must stay first and is not changed.
   (documents.py)
2. New parties default to `signing_party`, delivery `email`, authentication `standard`, and carry
   the fields name (order 1 and 2), email, mobile and personal_number, empty. (documents.py)
3. `start` refuses (409 document_state_error, as the reference lists) a party whose delivery
   method needs an e-mail or mobile it lacks, an `sms_pin` authentication without a mobile, a
   BankID authentication *to view* without a personal number, and a party without a name.
   (documents.py)
4. Mobile numbers are accepted as "+" and 8–15 digits (spaces and dashes ignored); the reference
   gives only the example "+461234567890". A refused one is 400 request_parameters_invalid in an
   update and 409 in changeemailandmobile (whose reference lists the parse error under 409).
   (documents.py, fake.py)
5. `days_to_sign` is 1–365; the reference gives only its default (90). (documents.py)
6. A pending document whose `timeout_time` has passed becomes `timedout` when it is next read or
   acted on (Scrive's own timing is not documented). `prolong` sets the new timeout from now.
   (fake.py)
7. `files/main` of a closed document answers 503 (the reference's message, error_type
   server_error — the spec's error enum has no 503) until `seal_delay` seconds after closing;
   `sealed_file` is null meanwhile. Before closing it answers the unsealed main file. The sealed
   PDF is the uploaded one with a marker line appended. (fake.py)
8. A trashed document can still be read; a deleted one is 404 resource_not_found. Trashing a
   document already in Trash is 409 document_state_error (the reference's TODO). (fake.py)
9. Callbacks: a form POST with `document_id`, `document_json` and `document_signed_and_sealed`
   ("true"/"false") on every change, unsigned. Those caused by an API call are made after the
   answer — here at `deliver_pending()`, which stands for the next retry slot — and those caused
   by a control call (`sign`, `open`, `reject`, `time_out`, `seal_now`, `callback_now`) at once
   from the caller's thread. A non-2xx answer is retried at each `deliver_pending()`, 10 attempts
   in all. `duplicate_callbacks = True` sends each twice. (fake.py)
10. OAuth: the temporary and token credential endpoints answer GET (the reference's examples)
    and POST (what RFC 5849 clients send) alike; the temporary-credentials signature's token part
    is not checked (the reference: "a dummy &aaaaaa"). The Authorization header is read with or
    without the `OAuth ` prefix and with or without percent-encoded values. (oauth.py)
11. Privileges: each call needs the one the reference names for it (`DOC_CREATE` for new and
    update, `DOC_SEND` for start, cancel, prolong, remind, trash, delete and changeemailandmobile,
    `DOC_CHECK` for get and files); `FULL_ACCESS` covers all; personal credentials have
    FULL_ACCESS. The "is auth working" call needs none. (oauth.py, fake.py)
12. `GET /flow/folders/home/data_retention` (the "is auth working" check of the contract notes)
    answers `{"data_retention_policy": {...}}` in the Document API's DataRetentionPolicy shape;
    the Flow reference here does not give its body. (fake.py)
13. A document belongs to the token that created it: another token gets 404. (fake.py)
14. `GET /documents/list` lists the caller's documents newest first (the reference gives no
    default order), `max` capped at `list_cap` (100); filters `status`, `tag` and `is_author`
    are applied, others are a 400. (fake.py)
15. Error bodies for statuses the spec's `http_code` enum lacks (405 → endpoint_not_found, 429,
    503) use the same shape with their own status. (state.py, fake.py)

Controls for tests:

- running: `start()`, `stop()`, `with FakeScrive() as fake:`, `base_url`; `client_key`,
  `client_secret` (Paraph's OAuth client), `personal` (the owner's personal access credentials:
  client_key, client_secret, token_key, token_secret), `authorize(url, grant=True)` → where the
  authorization page redirects.
- parties: `signatory_id(document_id, email_or_mobile)`, `open`, `sign` (also approves),
  `reject(document_id, signatory_id, reason)`, `bounce(document_id, signatory_id, channel)`,
  `time_out(document_id)`, `seal_now(document_id)`, `change_elsewhere(document_id)`,
  `callback_now(document_id)` — each raises ValueError when Scrive would not allow it.
- knobs: `seal_delay`, `duplicate_callbacks`, `revoke_tokens()`, `limit_privileges(token_key, set)`.
- callbacks: `callbacks` (url, body, attempts, status, delivered), `deliver_pending()`,
  `webhook_transport` (callable(url, body, headers) -> status).
- what exists: `documents` (Document JSON by id), `document_count(status=None, live=False)`,
  `reminders(document_id)`, `requests` / `requests_to(method, path)`.
- faults, clock: from the shared fake base (`fail_next`, `time_out_next`, `answer_html_next`,
  `now`, `advance`).
"""

from tests.fakes.scrive.fake import FakeScrive

__all__ = ["FakeScrive"]
