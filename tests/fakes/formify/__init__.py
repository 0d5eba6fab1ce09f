"""A stateful fake of Formify's API that runs as a real HTTP server on 127.0.0.1, follows the
documented contract (/work/shared/reference/seeds/002_f7e78114f3454ee0.txt; notes in
shared/providers/formify.md) and can inject faults.

    fake = FakeFormify(client_id="paraph-test-client", client_secret="paraph-test-secret").start()
    ...
    fake.stop()

Error bodies. The docs show none, so every refused call answers JSON
`{"error": "<code>", "message": "<sentence>"}`; the OAuth endpoints add `error_description` (the
same sentence) because OAuth clients read that, and a refused contact update adds `updateCooldown`.

Choices where the docs are silent (each easy to change in the module named):
- refresh tokens do not rotate; `fake.rotate_refresh_tokens = True` makes them (oauth.py);
- a cooldown breach on PATCH /docs/{id}/signature-field is a 403 (signees.py);
- GET /docs/{id}/signed-file is a 403 before completion; the download serves the uploaded PDF
  (documents.py);
- a deleted document answers GET /docs/{id} with status `deleted`, anything else with 404;
- webhooks for API calls (document.created on POST /docs, revoked, deleted) are sent before the
  API call answers, from the server's thread; those from control calls (`sign`, `open`,
  `revoke_by_owner`) before the call returns, from the caller's thread (webhooks.py);
- `fail_next` patterns are regexes searched in the full path with /v1 and without the query,
  e.g. r"/v1/docs$" (server.py).

Extra knobs beyond the agreed interface: `rotate_refresh_tokens`, `redirect_uris` (None accepts
any http(s) redirect URI), `max_file_size`.
"""

from tests.fakes.formify.fake import FakeFormify

__all__ = ["FakeFormify"]
