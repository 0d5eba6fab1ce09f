"""A stateful fake of TransactionLink's Workflows API, true to its guide (the "Workflows API" page:
create case, create parameters, run workflow, check status, get result; webhooks signed with a
detached JWS whose key is published by `kid`).

It answers only the fields the guide lists for each endpoint. Where the guide is silent the fake
has to choose, and every such choice is an assumption, numbered here so it can be checked against
the real service and changed in one place:

1. Authentication: an organization API token (`tot_…`) as `Authorization: Bearer`, or
   `POST /auth/authorize {"key", "secret"}` → 200 `{"accessToken", "refreshToken", "expiresIn"}`
   (seconds) and `POST /auth/refresh {"refreshToken"}` → the same shape. The guide names the calls,
   not their bodies. A missing or unknown bearer gets 401 `{"message"}`.
2. Error bodies are `{"message": "<sentence>"}` for every status (the guide only says
   "application/json").
3. `POST /cases` answers 201 `{"id"}` (the guide says "case was created", not its fields). A body
   that is not a JSON object, or a field that is not text, is 400. At least one field is needed.
4. `POST /parameters` takes `{"workflowDefinitionId", "parameters": {name: value}}` and answers
   201 `{"id"}`; 404 for an unknown definition; 400 with the definition's message when a parameter
   it requires is missing (definitions are configured in the fake with `required_parameters`).
5. `POST /workflows/run` answers 200 `{"id", "caseId", "status"}` (the guide's fields), status
   `RUNNING` (or already finished, for a run set to take no time); 404 for an unknown definition;
   400 for an unknown case or parameters id. It has no idempotency key: every call starts (and
   bills) one more run.
6. Status values: `RUNNING`, `COMPLETED` (documented); `FAILED` and `EXPIRED` (not documented,
   used for runs that end without a result). A run set to "never finishes" stays `RUNNING`.
7. `GET /workflows/{id}/result` answers 200 with a result object only once the run is
   `COMPLETED`, else 409 `{"message"}`; the object's content "depends on the workflow's
   configuration": the fake answers `{"workflowId", "caseId", "decision", "summary", "checks"}`
   with `decision` one of `APPROVED`, `REJECTED`, `MANUAL_REVIEW`.
8. A run completes `run_seconds` (fake clock) after it starts; 0 completes it at once.
9. Webhooks: one POST per finished run to the URL configured with `webhook_url`, body
   `{"workflowId", "caseId", "status"}`, header `JWS-SIGNATURE: <b64 header>..<b64 signature>`
   (RS256, `kid` in the header, the payload detached and unencoded bytes of the body, RFC 7515
   appendix F). `GET /auth/webhooks/key/{kid}?pem=true` answers the public key as PEM text;
   unknown kid → 404. After `rotate_key()` new deliveries use the new key and the old one stays
   published.
10. The listing of workflow definitions is not an API call: they are configured in TransactionLink's
   dashboard, so the fake keeps them in `definitions` and Paraph's admin types their ids.

Outcomes are set per case with `set_outcome(case_id, outcome)` (or `default_outcome`):
"approved", "rejected", "manual_review", "failed", "expired", "never" (stays running).
"""

from tests.fakes.transactionlink.fake import FakeTransactionLink, Outcome

__all__ = ["FakeTransactionLink", "Outcome"]
