"""Applying what providers report (webhooks, polls, the built-in signing page) to envelopes.

Everything goes through the state machine, so a late, repeated or out-of-order event never moves
a status backwards or records an event twice.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.files.base import ContentFile

from envelopes.lifecycle.audit import event_append
from envelopes.lifecycle.states import envelope_can_move, envelope_transition, participant_transition
from envelopes.models import Envelope, EnvelopeEvent, EnvelopeStatus, EventSource, Participant, ParticipantStatus
from envelopes.outgoing.sending import provider_for
from providers.base import Capability, ProviderError, RemoteEvent, RemoteSnapshot
from providers.signals import AuditHead

log = logging.getLogger(__name__)

EVENT_DATA_KEPT = ("ip", "user_agent", "method", "reason", "consent")
PARTICIPANT_FIELDS = {"declined": lambda event: {"decline_reason": event.data.get("reason", "")[:500]}}


def remote_events_apply(*, provider: str, events: list[RemoteEvent]) -> int:
    """Applies each event to its envelope; returns how many changed something."""
    changed = 0
    for event in events:
        envelope = _envelope_for(provider, event)
        if envelope is None:
            log.warning("provider %s: event %s for an unknown envelope", provider, event.event_id)
            continue
        changed += _apply(envelope, event)
    return changed


def _envelope_for(provider: str, event: RemoteEvent) -> Envelope | None:
    envelope = Envelope.objects.filter(provider=provider, remote_id=event.remote_id).first()
    ref = event.data.get("envelope_ref")
    if envelope is None and ref and str(ref).isdigit():
        # The provider may report before the send task has recorded the remote id.
        envelope = Envelope.objects.filter(provider=provider, pk=int(ref), remote_id="").first()
    return envelope


def _apply(envelope: Envelope, event: RemoteEvent) -> bool:
    scope, _, to = event.kind.partition(".")
    common = {"source": EventSource.PROVIDER, "remote_event_id": event.event_id, "at": event.occurred_at}
    if scope == "participant":
        participant = Participant.objects.filter(envelope=envelope, pk=event.participant_ref or 0).first()
        if participant is None:
            return False
        data = {k: v for k, v in event.data.items() if k in EVENT_DATA_KEPT}
        if to not in ParticipantStatus.values:
            # Steps that change no status (a code sent, a wrong code) are kept in the trail all the same.
            recorded = event_append(
                envelope=envelope,
                participant=participant,
                kind=event.kind,
                data=data,
                source=EventSource.PROVIDER,
                remote_event_id=event.event_id,
                occurred_at=event.occurred_at,
            )
            return recorded is not None
        extra = PARTICIPANT_FIELDS.get(to, lambda e: {})(event)
        return participant_transition(participant=participant, to=to, data=data, **common, **extra)
    if scope == "envelope":
        if to == EnvelopeStatus.COMPLETED and envelope.status != to:
            signed_copy_fetch(envelope)  # first, so "completed" never shows without its PDF
        return envelope_transition(envelope=envelope, to=to, data=dict(event.data), **common)
    return False


def signed_copy_fetch(envelope: Envelope) -> None:
    """Keeps the provider's signed PDF with the envelope (one file: the provider's final document),
    and what the signers filled in where the provider reports it."""
    provider = provider_for(envelope)
    if provider.supports(Capability.FIELD_VALUES):
        _field_values_keep(envelope, provider)
    if not provider.supports(Capability.SIGNED_DOWNLOAD):
        return
    try:
        files = provider.download_signed(envelope.remote_id)
    except ProviderError as exc:
        log.warning("envelope %s: signed PDF not fetched: %s", envelope.pk, exc.message)
        return
    if files:
        content = files[0].content
        envelope.signed_file.save(f"{envelope.pk}-signed.pdf", ContentFile(content), save=False)
        envelope.signed_sha256 = hashlib.sha256(content).hexdigest()
        envelope.save(update_fields=["signed_file", "signed_sha256"])


def _field_values_keep(envelope: Envelope, provider) -> None:
    try:
        values = provider.field_values(envelope.remote_id)
    except ProviderError as exc:
        log.warning("envelope %s: field values not fetched: %s", envelope.pk, exc.message)
        return
    state = {**Envelope.objects.values_list("remote_state", flat=True).get(pk=envelope.pk), "field_values": values}
    Envelope.objects.filter(pk=envelope.pk).update(remote_state=state)
    envelope.remote_state = state


def audit_head(*, provider: str, remote_id: str) -> AuditHead | None:
    """The newest event of the envelope's audit trail (answering `audit_head_requested`)."""
    envelope = Envelope.objects.filter(provider=provider, remote_id=remote_id).only("pk", "last_event_hash").first()
    if envelope is None or not envelope.last_event_hash:
        return None
    event = EnvelopeEvent.objects.filter(envelope=envelope, hash=envelope.last_event_hash).order_by("-id").first()
    if event is None:
        return None
    return AuditHead(hash=event.hash, kind=event.kind, label=event.label, occurred_at=event.occurred_at)


def snapshot_apply(envelope: Envelope, snapshot: RemoteSnapshot) -> int:
    """Applies a polled status (participants first, then the envelope); returns how many changed.
    Same or older statuses are no-ops, so polling next to webhooks never moves anything back."""
    changed = 0
    everyone = list(envelope.participants.all())
    people = {str(p.pk): p for p in everyone}
    by_remote_id = {p.remote_id: p for p in everyone if p.remote_id}
    for remote in snapshot.participants:
        person = people.get(remote.ref) or by_remote_id.get(remote.remote_id)
        if person is not None and remote.status in ParticipantStatus.values:
            extra = {"decline_reason": remote.decline_reason[:500]} if remote.decline_reason else {}
            changed += participant_transition(
                participant=person,
                to=remote.status,
                source=EventSource.PROVIDER,
                data={"by": "poll"},
                at=remote.occurred_at,
                **extra,
            )
    if snapshot.status in EnvelopeStatus.values and snapshot.status != envelope.status:
        if snapshot.status == EnvelopeStatus.COMPLETED and envelope_can_move(envelope.status, snapshot.status):
            signed_copy_fetch(envelope)  # first, so "completed" never shows without its PDF
        if envelope_transition(envelope=envelope, to=snapshot.status, source=EventSource.PROVIDER, data={"by": "poll"}):
            changed += 1
    return changed
