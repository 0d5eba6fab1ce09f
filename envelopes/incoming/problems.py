"""What happens when applying a provider's report meets something nobody foresaw: the error is
logged with its traceback, turned into a sentence for the delivery or envelope it concerns, and
the caller backs off and carries on with the rest."""

from __future__ import annotations

import logging

from providers.base import UnreadableAnswer
from providers.registry import provider_class, provider_exists

log = logging.getLogger(__name__)

# The key in `Envelope.remote_state` holding the last unreadable answer, shown on the envelope page.
READ_ERROR = "read_error"


def unexpected_error(provider_id: str, exc: Exception, what: str) -> str:
    """Logs `exc` with its traceback and returns the sentence to record."""
    log.exception("%s: unexpected error while applying %s's answer", what, provider_id)
    return readable(provider_id, exc)


def readable(provider_id: str, exc: Exception) -> str:
    if isinstance(exc, UnreadableAnswer):
        return exc.message
    name = provider_class(provider_id).name if provider_exists(provider_id) else provider_id
    return f"Paraph could not read {name}'s answer ({type(exc).__name__}); it will try again."
