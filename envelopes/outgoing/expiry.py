"""Expiry: an envelope still out for signature at `expires_at` becomes expired, and is closed at
the provider where it would otherwise stay open. Senders are warned some days before."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from envelopes.lifecycle.audit import event_append
from envelopes.lifecycle.states import envelope_transition
from envelopes.models import Envelope, EnvelopeStatus, EventSource
from envelopes.outgoing.sending import provider_for
from providers.base import Capability, ProviderError

log = logging.getLogger(__name__)
EXPIRED_REASON = "The envelope expired before everyone had signed."


def envelopes_expire_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Expires what is due; returns how many. The state machine's compare-and-set makes one worker win."""
    now = now or timezone.now()
    expired = 0
    due = Envelope.objects.filter(status=EnvelopeStatus.SENT, expires_at__lte=now).order_by("expires_at")
    for envelope in due[:limit]:
        moved = envelope_transition(
            envelope=envelope, to=EnvelopeStatus.EXPIRED, data={"expires_at": envelope.expires_at.isoformat()}
        )
        if moved:
            expired += 1
            _close_at_provider(envelope)
    return expired


def _close_at_provider(envelope: Envelope) -> None:
    try:
        provider = provider_for(envelope)
    except ValidationError:
        return
    if provider.supports(Capability.EXPIRY) or not provider.supports(Capability.VOID) or not envelope.remote_id:
        return  # it closes by itself, or cannot be closed from here
    try:
        provider.void(envelope.remote_id, EXPIRED_REASON)
    except ProviderError as exc:
        event_append(envelope=envelope, kind="envelope.provider_close_failed", source=EventSource.SYSTEM,
                     data={"error": exc.message})


def expiry_warnings_send(*, now: datetime | None = None, limit: int = 500) -> int:
    """E-mails each sender once when an envelope expires within the organization's warning period."""
    now = now or timezone.now()
    candidates = Envelope.objects.filter(
        status=EnvelopeStatus.SENT, expiry_warned_at=None, expires_at__gt=now, created_by__isnull=False
    ).select_related("org", "created_by")
    warned = 0
    for envelope in candidates.order_by("expires_at")[:limit]:
        if envelope.expires_at > now + timedelta(days=envelope.org.expiry_warning_days):
            continue
        # Claim first (compare-and-set), then send: two workers never warn twice.
        if Envelope.objects.filter(pk=envelope.pk, expiry_warned_at=None).update(expiry_warned_at=now) != 1:
            continue
        _warn(envelope)
        warned += 1
    return warned


def _warn(envelope: Envelope) -> None:
    open_people = [p for p in envelope.participants.all() if p.status in ("waiting", "invited", "opened")]
    context = {"envelope": envelope, "open_people": open_people}
    subject = render_to_string("envelopes/email/expiry_warning_subject.txt", context).strip()
    body = render_to_string("envelopes/email/expiry_warning_body.txt", context)
    try:
        send_mail(subject, body, None, [envelope.created_by.email])
    except OSError:
        log.warning("envelope %s: expiry warning not sent", envelope.pk)
        Envelope.objects.filter(pk=envelope.pk).update(expiry_warned_at=None)  # try again next run
