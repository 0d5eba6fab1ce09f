"""Background work on envelopes. Tasks are thin: they load by id and call a service."""

from __future__ import annotations

from envelopes.sending import envelope_deliver


def send_envelope(envelope_id: int) -> str:
    return envelope_deliver(envelope_id=int(envelope_id))
