"""How providers ask the envelope domain for what they need without importing it (events come back
through stored deliveries: `providers.internal_events`).

- `audit_head_requested`: sent with `provider` and `remote_id`; a receiver answers with an
  AuditHead — the newest event of that envelope's audit trail: its hash, kind, label and time —
  or None. The built-in provider prints it on the certificate and reports it back with the
  envelope's completion, so the envelope page can show which event the seal covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal

audit_head_requested = Signal()


@dataclass(frozen=True)
class AuditHead:
    hash: str
    kind: str  # e.g. "participant.signed"
    label: str  # the same in words, e.g. "Signed"
    occurred_at: datetime
