"""A stateful fake of EasyInk (identity provider and Public API), true to the EasyInk Public API
reference (shared/reference/seeds/004_d3e133b77da8cb7a.txt) and the EasyInk contract notes: each
endpoint answers with the fields the reference lists for it and refuses with its documented
texts, in its ApiError shape `{"error": {"code", "message", "innerErrors"}}`. It runs as a real
HTTP server on 127.0.0.1 on the shared fake base (`tests/fakes/base.py`), with its faults.

    fake = FakeEasyInk(client_id="paraph-test-client", client_secret="paraph-test-secret").start()

`tests/providers/easyink/test_fake_schema.py` checks its answers against schemas transcribed
from the reference.

Assumptions — every gap the reference leaves, and the choice made (the number is cited at the
line that implements it):

1. Every refusal uses the ApiError shape; the code follows the status (400 ValidationError, 401
   Unauthorized, 403 Forbidden, 404 NotFound, 5xx InternalServerError). An unknown draft is the
   reference's "Signing session draft does not exists"; an unknown session "Signing session
   does not exist". Field-level problems are "Validation failed for one or more fields" with
   innerErrors, as the reference's example shows. (sessions.py)
2. No refresh token: the reference's scope lacks offline_access and its token properties name
   none. `issue_refresh_tokens = True` adds one (RFC 6749 refresh grant) for clients that use
   it when given. (identity.py)
3. Paths. Only the void path is in the reference (POST /api/signingSessions/{id}/voided); the
   draft paths (/api/signingSessionDrafts, …/documents, …/participants, …/signatureFields,
   …/signingOrder/oneByOne|allAtOnce) come from the contract notes. The rest are inferred in the
   same style: GET/DELETE /api/signingSessionDrafts/{id}, PUT …/{id}/parameters, POST
   …/{id}/attachments, POST …/{id}/readyToStart (convert), POST /api/signingSessions/{id}/started,
   GET/HEAD /api/signingSessions/{id}, POST …/{id}/recreated, PUT
   …/{id}/participants/{participantId}/contact, GET …/{id}/signedDocuments/{signedDocumentId},
   GET …/{id}/allInOneDocument, GET /api/signingSessions (search), GET
   /api/signingSessions/statistics. The identity provider is on the same port (/connect/…).
4. The token answer is RFC 6749 §5.1 (access_token, token_type, expires_in, scope); the access
   token is a JWT whose payload carries OIDC's sub, name and email (the `openid profile` scopes)
   and `exp`, which is when the fake stops accepting it (401). Its signature is not checkable.
   The reference names only the `exp` claim: `answer_expires_in = False` leaves expires_in out.
   PKCE S256 is required; a wrong code_verifier is invalid_grant. (identity.py)
5. Document processing: an uploaded document is "Processing" for `processing_delay` seconds,
   then "ProcessingReady" (the one value the reference shows). Adding a field to it, or
   converting the draft, meanwhile answers the reference's "Document processing is in
   progress. Try again later." (400). (sessions.py)
6. Uploads are recognised by content: a PDF, or a Word file (DOCX zip or DOC compound file);
   anything else is 400 "Only PDF and Word documents are supported". A document's title is the
   uploaded file name without its extension (the example shows a title without ".pdf").
7. A signature field must lie inside the page it names (the page size read from the PDF), and on
   a page the document has; otherwise 400. The reference only gives the minimums.
8. Only the field type "Signature" is accepted (the one the reference shows).
9. Starting a session that is not ReadyToStart, or voiding one that is not Pending/InProgress
   (a finished one, say), is 400 "Signing session in status <status> cannot be started/voided".
10. Recreate copies a Pending, InProgress or Declined session (documents, attachments,
    participants, fields, order, reminders) into a new draft and voids the original when it is
    still active; its answer is the new draft's id as a bare JSON string, like duplicate's.
11. The all-in-one PDF exists only for a Finished session; it is the signed copies plus an audit
    trail page. Before the session finishes, `allInOneDocument` is null.
12. A void reason over 1000 characters is 400 "Reason cannot exceed 1000 characters".
13. Search reads one `statuses` value (the shared base keeps one value per query name).
14. Participant statuses (the reference shows only "Signed"): Draft before the start, Waiting
    until their turn (one by one), Invited, Opened (the link used), Signed, Declined. A session
    is Pending once started and InProgress from the first signature.
15. Each signature makes one signed copy per document, "Processing" for
    `signed_processing_delay` seconds then "Ready"; the all-in-one document likewise.
16. A draft's signatureFields are listed as {id, participantId, documentId, type, placement,
    options} (the reference names the SignatureField schema without its fields); attachments
    as {id, title, status}, processed like documents (assumption 5).
17. Calls the reference gives no answer body for answer 200 with an empty body (DELETE: 204).

Controls: `consent(authorize_url) -> callback URL`, `deny_consent`, `issue_refresh_tokens`,
`token_lifetime`, `answer_expires_in`, `expire_tokens()`; `processing_delay`, `signed_processing_delay`;
`open/sign/decline(session_id, participant_id)`, `expire(session_id)`, `set_status(session_id,
status)`; `sessions` (by id, with internals), `live_sessions()`, `participant_id(session_id,
email)`; from the shared base: `fail_next`, `time_out_next`, `answer_html_next`, `now()`,
`advance(seconds)`, `requests`, `requests_to(method, path)`.
"""

from tests.fakes.easyink.fake import FakeEasyInk

__all__ = ["FakeEasyInk"]
