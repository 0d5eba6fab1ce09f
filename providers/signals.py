"""How providers report back without importing the envelope domain (which listens here).

- `remote_events`: sent with `provider` (id) and `events` (list of RemoteEvent) when a provider
  learns of changes — a verified webhook, a poll, or the built-in provider's signing page.
- `audit_head_requested`: sent with `provider` and `remote_id`; a receiver answers with the head
  hash of that envelope's audit trail (the built-in provider prints it on the certificate).
"""

from django.dispatch import Signal

remote_events = Signal()
audit_head_requested = Signal()
