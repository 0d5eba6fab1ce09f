"""How providers ask the envelope domain for what they need without importing it (events come back
through stored deliveries: `providers.internal_events`).

- `audit_head_requested`: sent with `provider` and `remote_id`; a receiver answers with the head
  hash of that envelope's audit trail (the built-in provider prints it on the certificate).
"""

from django.dispatch import Signal

audit_head_requested = Signal()
