"""Checking an envelope against its provider, and handing it over to the provider."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from envelopes.lifecycle.states import envelope_transition, participant_transition
from envelopes.models import (
    AuthMethod,
    Delivery,
    DocumentKind,
    Envelope,
    EnvelopeStatus,
    EventSource,
    ParticipantRole,
    ParticipantStatus,
)
from providers.base import (
    Capability,
    Checkpoint,
    DocumentSpec,
    FieldSpec,
    ParticipantSpec,
    ProviderError,
    SendRequest,
)
from providers.registry import adapter_for, provider_class, provider_exists
from providers.webhooks import webhook_url

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 60
SEND_ATTEMPTS = 8  # transient failures before the envelope is marked failed (about four hours of backoff)
UNEXPECTED = "Sending failed because of an error on our side. Try again; if it fails again, tell your administrator."

DELIVERY_NEEDS = {
    Delivery.SMS: Capability.SMS,
    Delivery.EMAIL_SMS: Capability.SMS,
    Delivery.WHATSAPP: Capability.WHATSAPP,
}
ROLE_NEEDS = {ParticipantRole.APPROVER: Capability.APPROVERS, ParticipantRole.VIEWER: Capability.VIEWERS}


def provider_for(envelope: Envelope):
    """The adapter for the envelope's provider; ValidationError when this installation no longer has it."""
    if not provider_exists(envelope.provider):
        raise ValidationError(
            f"The provider this envelope was sent with ({envelope.provider or 'none'}) is not configured on this "
            "installation; ask your administrator."
        )
    return adapter_for(envelope.provider, envelope.connection)


def send_problems(envelope: Envelope) -> list[str]:
    """Every reason the envelope cannot be sent yet, one sentence each (empty when it can)."""
    problems: list[str] = []
    documents = list(envelope.documents.all())
    people = list(envelope.participants.all())
    if not envelope.title.strip():
        problems.append("Give the envelope a title.")
    if not any(d.kind == DocumentKind.SIGN for d in documents):
        problems.append("Add at least one document to sign.")
    if not any(p.role in (ParticipantRole.SIGNER, ParticipantRole.APPROVER) for p in people):
        problems.append("Add at least one signer.")
    if envelope.expires_at and envelope.expires_at <= timezone.now():
        problems.append("The expiry date has passed; choose a later one.")
    for person in people:
        label = person.name or "A participant"
        if person.delivery in (Delivery.EMAIL, Delivery.EMAIL_SMS) and not person.email:
            problems.append(f"{label} needs an e-mail address.")
        if person.delivery in (Delivery.SMS, Delivery.EMAIL_SMS, Delivery.WHATSAPP) and not person.phone:
            problems.append(f"{label} needs a phone number.")
    if not provider_exists(envelope.provider) or not provider_class(envelope.provider).configured():
        problems.append("Choose how the envelope is sent (a provider connection).")
        return problems
    provider = provider_class(envelope.provider)
    problems += _connection_problems(provider, envelope)
    problems += _capability_problems(provider, documents, people)
    if not problems:
        problems += provider.request_problems(send_request_for(envelope))
    return problems


def _connection_problems(provider, envelope: Envelope) -> list[str]:
    """A provider used through an account needs one of the organization's, in working order."""
    if not provider.connect:
        return []
    connection = envelope.connection
    if connection is None or connection.org_id != envelope.org_id or connection.provider != provider.id:
        return [f"Choose which {provider.name} account sends the envelope."]
    if not connection.is_usable:
        return [f"The {connection.label} connection needs reconnecting; an admin can do it on the Connections page."]
    return []


def _capability_problems(provider, documents, people) -> list[str]:
    name = provider.name
    problems = []
    if provider.max_documents and len([d for d in documents if d.kind == DocumentKind.SIGN]) > provider.max_documents:
        problems.append(f"{name} takes at most {provider.max_documents} document(s) per envelope.")
    if any(d.kind == DocumentKind.ATTACHMENT for d in documents) and not provider.supports(Capability.ATTACHMENTS):
        problems.append(f"{name} does not support attachments; remove them or choose another provider.")
    if len({p.order for p in people}) > 1 and not provider.supports(Capability.SEQUENTIAL_ORDER):
        problems.append(f"{name} cannot send in a signing order; make everyone sign in parallel.")
    for person in people:
        label = person.name or "A participant"
        needed = ROLE_NEEDS.get(person.role)
        if needed and not provider.supports(needed):
            problems.append(f"{name} has no {person.get_role_display().lower()}s; change {label}'s role.")
        needed = DELIVERY_NEEDS.get(person.delivery)
        if needed and not provider.supports(needed):
            problems.append(f"{name} cannot deliver by {person.get_delivery_display()}; change it for {label}.")
        for method in {person.auth_view, person.auth_sign} - {AuthMethod.NONE}:
            if not provider.supports(Capability.auth(method)):
                problems.append(f"{name} does not offer {AuthMethod(method).label} authentication ({label}).")
    return problems


def send_request_for(envelope: Envelope) -> SendRequest:
    """The provider-neutral description of what to send."""
    fields_by_person: dict[int, list[FieldSpec]] = {}
    documents = list(envelope.documents.all())
    for document in documents:
        for box in document.fields.all():
            fields_by_person.setdefault(box.participant_id, []).append(
                FieldSpec(str(document.pk), box.page, box.x, box.y, box.width, box.height)
            )
    sender = envelope.created_by
    return SendRequest(
        envelope_ref=str(envelope.pk),
        callback_url=webhook_url(envelope.connection) if envelope.connection_id else "",
        sender_name=sender.display_name if sender else "",
        sender_email=sender.email if sender else "",
        title=envelope.title,
        message=envelope.message,
        language=envelope.language,
        expires_at=envelope.expires_at,
        reminder_days=envelope.reminder_every_days if envelope.reminder_max else None,
        documents=tuple(
            DocumentSpec(str(d.pk), d.name, d.kind, d.sha256, d.page_count, d.file.path) for d in documents
        ),
        participants=tuple(
            ParticipantSpec(
                ref=str(p.pk),
                name=p.name,
                email=p.email,
                phone=p.phone,
                role=p.role,
                order=p.order,
                delivery=p.delivery,
                auth_view=p.auth_view,
                auth_sign=p.auth_sign,
                personal_number=p.personal_number,
                fields=tuple(fields_by_person.get(p.pk, ())),
            )
            for p in envelope.participants.all()
        ),
    )


def send_later(envelope_id: int, *, seconds: float) -> None:
    """Runs the send task once more after `seconds` (a provider outage or rate limit)."""
    from django_q.models import Schedule

    Schedule.objects.create(
        name=f"retry send of envelope {envelope_id} {timezone.now():%H%M%S%f}",
        func="envelopes.tasks.send_envelope",
        args=str(envelope_id),
        schedule_type=Schedule.ONCE,
        repeats=1,
        next_run=timezone.now() + timedelta(seconds=seconds),
    )


def _claim_stale(envelope: Envelope) -> bool:
    """A worker that died mid-send leaves the envelope in `sending`; after the task timeout the next
    run takes it over (compare-and-set on updated_at) and resumes from the checkpoint."""
    stale_before = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)
    if envelope.status != EnvelopeStatus.SENDING or envelope.updated_at > stale_before:
        return False
    now = timezone.now()
    taken = Envelope.objects.filter(pk=envelope.pk, status=EnvelopeStatus.SENDING, updated_at=envelope.updated_at)
    if taken.update(updated_at=now) != 1:
        return False
    envelope.updated_at = now
    return True


def envelope_deliver(*, envelope_id: int) -> str:
    """Background half of sending: claims a queued envelope, hands it to the provider, records
    the result. Returns what happened, for the task log."""
    envelope = Envelope.objects.select_related("org").get(pk=envelope_id)
    if not (_claim_stale(envelope) or envelope_transition(envelope=envelope, to=EnvelopeStatus.SENDING)):
        return f"not queued (status {envelope.status}); nothing to do"
    try:
        provider = provider_for(envelope)
    except ValidationError as exc:
        envelope_transition(envelope=envelope, to=EnvelopeStatus.FAILED, last_error=exc.messages[0])
        return "failed"

    def persist(data: dict) -> None:
        state = {**envelope.remote_state, "checkpoint": data}
        Envelope.objects.filter(pk=envelope.pk).update(remote_state=state)
        envelope.remote_state = state

    checkpoint = Checkpoint(data=dict(envelope.remote_state.get("checkpoint", {})), persist=persist)
    # No transaction is held open across the provider call.
    try:
        remote = provider.send(send_request_for(envelope), checkpoint)
    except ProviderError as exc:
        attempts = envelope.remote_state.get("transient_failures", 0) + (0 if exc.permanent else 1)
        give_up = exc.permanent or attempts >= SEND_ATTEMPTS
        message = exc.message if exc.permanent or not give_up else f"{exc.message} (tried {attempts} times)"
        to = EnvelopeStatus.FAILED if give_up else EnvelopeStatus.QUEUED
        state = {**envelope.remote_state, "transient_failures": attempts}
        envelope_transition(envelope=envelope, to=to, last_error=message, remote_state=state, data={"error": message})
        log.info("envelope %s: send failed (%s)", envelope.pk, "giving up" if give_up else "will retry")
        if give_up:
            if not exc.permanent:
                _abandon(provider, envelope, checkpoint)
            return "failed"
        # Backoff: the provider's Retry-After, else 1, 2, 4 … minutes (at most an hour).
        send_later(envelope.pk, seconds=exc.retry_after or min(RETRY_AFTER_SECONDS * 2 ** (attempts - 1), 3600))
        return "will retry"
    except Exception:
        # A bug or an outage we did not foresee: the envelope must not sit in "sending" unseen.
        log.exception("envelope %s: send crashed", envelope.pk)
        envelope_transition(
            envelope=envelope, to=EnvelopeStatus.FAILED, last_error=UNEXPECTED, data={"error": UNEXPECTED}
        )
        raise
    _record_sent(envelope, remote)
    return "sent"


def _abandon(provider, envelope: Envelope, checkpoint: Checkpoint) -> None:
    """A send given up after repeated transient failures: the provider removes what it left."""
    try:
        provider.send_abandoned(checkpoint)
    except ProviderError as exc:
        log.warning("envelope %s: what the abandoned send left at the provider stays: %s", envelope.pk, exc.message)


@transaction.atomic
def _record_sent(envelope: Envelope, remote) -> None:
    envelope_transition(
        envelope=envelope,
        to=EnvelopeStatus.SENT,
        remote_id=remote.remote_id,
        last_error="",
        source=EventSource.PROVIDER,
    )
    poll = provider_for(envelope).poll_interval
    Envelope.objects.filter(pk=envelope.pk).update(
        next_reminder_at=envelope.first_reminder_due(),
        next_sync_at=timezone.now() + timedelta(seconds=poll) if poll else None,
    )
    people = list(envelope.participants.all())
    first = min((p.order for p in people), default=1)
    for person in people:
        remote_id = remote.participant_ids.get(str(person.pk), "")
        if remote_id:
            type(person).objects.filter(pk=person.pk).update(remote_id=remote_id)
        if person.order == first:
            participant_transition(participant=person, to=ParticipantStatus.INVITED, source=EventSource.PROVIDER)
