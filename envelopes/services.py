"""Writes on envelopes: drafts, settings, send, void, remind, duplicate."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from envelopes.composing.documents import document_copy
from envelopes.composing.participants import require_draft
from envelopes.lifecycle.audit import changes, event_append
from envelopes.lifecycle.counts import counts_created, counts_deleted
from envelopes.lifecycle.states import TERMINAL, envelope_transition
from envelopes.models import (
    MESSAGE_MAX_LENGTH,
    Document,
    Envelope,
    EnvelopeStatus,
    EventSource,
    Participant,
    ParticipantStatus,
    SignatureField,
)
from envelopes.outgoing.sending import provider_for, send_problems
from portal.models import Organization
from providers.base import Capability, ProviderError
from providers.models import ProviderConnection
from providers.registry import provider_exists

log = logging.getLogger(__name__)

# Paraph's own signing works with no account, so a new envelope starts with it.
DEFAULT_PROVIDER = "builtin"
SETTINGS_FIELDS = (
    "title",
    "message",
    "language",
    "expires_at",
    "provider",
    "connection",
    "reminder_first_after_days",
    "reminder_every_days",
    "reminder_max",
)


def envelope_create(
    *, org: Organization, actor, title: str = "", provider: str = "", connection: ProviderConnection | None = None
) -> Envelope:
    """A new draft with the organization's defaults."""
    envelope = Envelope.objects.create(
        org=org,
        title=title.strip() or "Untitled envelope",
        provider=provider or (DEFAULT_PROVIDER if provider_exists(DEFAULT_PROVIDER) else ""),
        connection=connection if connection is not None and connection.org_id == org.pk else None,
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=org.default_expiry_days),
        reminder_first_after_days=org.reminder_first_after_days,
        reminder_every_days=org.reminder_every_days,
        reminder_max=org.reminder_max,
    )
    counts_created(envelope)
    event_append(envelope=envelope, kind="envelope.created", actor=actor)
    return envelope


def envelope_update(*, envelope: Envelope, actor=None, **fields) -> Envelope:
    """Changes a draft's title and settings. Raises ValidationError keyed by field."""
    require_draft(envelope)
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Not envelope settings: {sorted(unknown)}")
    errors = {}
    if "title" in fields:
        fields["title"] = (fields["title"] or "").strip()
        if not fields["title"]:
            errors["title"] = "Give the envelope a title; signers see it."
    if len(fields.get("message") or "") > MESSAGE_MAX_LENGTH:
        errors["message"] = f"Keep the message to {MESSAGE_MAX_LENGTH} characters (now {len(fields['message'])})."
    expires_at: datetime | None = fields.get("expires_at")
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "Choose an expiry date in the future."
    connection = fields.get("connection")
    foreign = connection is not None and connection.org_id != envelope.org_id
    if foreign or (connection is not None and connection.provider != fields.get("provider")):
        errors["provider"] = "Choose one of your organization's connections."
    if "provider" in fields and "connection" not in fields:
        fields["connection"] = None  # a provider chosen without an account
    if fields.get("reminder_every_days") == 0:
        errors["reminder_every_days"] = "Reminders can repeat at most once a day."
    if errors:
        raise ValidationError(errors)
    before = {name: getattr(envelope, name) for name in fields}
    for name, value in fields.items():
        setattr(envelope, name, value)
    with transaction.atomic():
        envelope.save(update_fields=[*fields, "updated_at"])
        edited = changes(before, fields)
        if edited:  # saving the form unchanged is not an event
            event_append(envelope=envelope, kind="envelope.settings_changed", actor=actor, data=edited)
    return envelope


def envelope_delete(*, envelope: Envelope) -> None:
    """Deletes a draft and its files. Sent envelopes are kept: void them instead."""
    if not envelope.is_draft:
        raise ValidationError("Only drafts can be deleted. Void a sent envelope instead.")
    for document in envelope.documents.all():
        document.file.delete(save=False)
    with transaction.atomic():
        # Only while it is still a draft, and counted once however often it is clicked.
        _, deleted = Envelope.objects.filter(pk=envelope.pk, status=EnvelopeStatus.DRAFT).delete()
        if deleted.get(Envelope._meta.label):
            counts_deleted(envelope)


def envelope_send(*, envelope: Envelope, actor) -> None:
    """Checks the envelope against its provider, moves it to queued and sends it in the
    background. Raises ValidationError with one sentence per problem. A second click while it is
    already queued changes nothing."""
    if envelope.status != EnvelopeStatus.DRAFT:
        raise ValidationError("This envelope has already been sent.")
    problems = send_problems(envelope)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        if not envelope_transition(envelope=envelope, to=EnvelopeStatus.QUEUED, source=EventSource.USER, actor=actor):
            raise ValidationError("This envelope has already been sent.")
        transaction.on_commit(lambda: _enqueue_send(envelope.pk))


def _enqueue_send(envelope_id: int) -> None:
    from django_q.tasks import async_task

    async_task("envelopes.tasks.send_envelope", envelope_id, task_name=f"send envelope {envelope_id}")


def envelope_retry(*, envelope: Envelope, actor) -> None:
    """Queues a failed send again, with a fresh allowance of automatic retries."""
    state = {**envelope.remote_state, "transient_failures": 0}
    with transaction.atomic():
        if not envelope_transition(
            envelope=envelope,
            to=EnvelopeStatus.QUEUED,
            source=EventSource.USER,
            actor=actor,
            last_error="",
            remote_state=state,
        ):
            raise ValidationError("Only a failed envelope can be retried.")
        transaction.on_commit(lambda: _enqueue_send(envelope.pk))


def envelope_void(*, envelope: Envelope, actor, reason: str) -> None:
    """Cancels an envelope that is queued, failed or out for signature; the provider is told
    first. Raises ValidationError when not possible or the provider refuses."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the envelope is voided; the participants are told."})
    if envelope.status in TERMINAL or envelope.status == EnvelopeStatus.DRAFT:
        raise ValidationError(f"A {envelope.get_status_display().lower()} envelope cannot be voided.")
    if envelope.remote_id:  # also a failed send that got as far as the provider
        provider = provider_for(envelope)
        if not provider.supports(Capability.VOID):
            raise ValidationError(f"{provider.name} does not let Paraph void envelopes; void it in {provider.name}.")
        try:
            provider.void(envelope.remote_id, reason)
        except ProviderError as exc:
            raise ValidationError(f"{provider.name} did not void the envelope: {exc.message}") from exc
    if not envelope_transition(
        envelope=envelope,
        to=EnvelopeStatus.VOIDED,
        source=EventSource.USER,
        actor=actor,
        void_reason=reason,
        data={"reason": reason},
    ):
        raise ValidationError("The envelope changed meanwhile; reload the page and try again.")


@dataclass
class RemindOutcome:
    reminded: list[Participant] = field(default_factory=list)
    not_reminded: dict[str, str] = field(default_factory=dict)  # name → why
    next_possible_at: datetime | None = None


def participants_due(envelope: Envelope) -> list[Participant]:
    """Participants whose turn it is and who have not finished."""
    open_people = [
        p
        for p in envelope.participants.all()
        if p.status in (ParticipantStatus.INVITED, ParticipantStatus.OPENED) and p.role != "viewer"
    ]
    if not open_people:
        return []
    current = min(p.order for p in open_people)
    return [p for p in open_people if p.order == current]


def envelope_remind(*, envelope: Envelope, actor) -> RemindOutcome:
    """Reminds everyone whose turn it is, through the provider (*Remind now*). Returns who was
    reminded and, for the others, why not (cooldowns, limits). Raises ValidationError."""
    if envelope.status != EnvelopeStatus.SENT:
        raise ValidationError("Only envelopes out for signature can be reminded.")
    due = participants_due(envelope)
    if not due:
        raise ValidationError("Nobody is waiting to sign right now.")
    provider = provider_for(envelope)
    try:
        return participants_remind(envelope=envelope, people=due, actor=actor)
    except ProviderError as exc:
        raise ValidationError(f"{provider.name} did not send the reminder: {exc.message}") from exc


def participants_remind(*, envelope: Envelope, people: list[Participant], actor=None) -> RemindOutcome:
    """Asks the provider to remind `people` and records each reminder. Raises ValidationError when the
    provider has no reminders, ProviderError when the call fails (the caller decides: tell the user,
    or try again later)."""
    provider = provider_for(envelope)
    if not provider.supports(Capability.REMINDERS_API):
        raise ValidationError(f"{provider.name} does not send reminders through Paraph.")
    result = provider.remind(envelope.remote_id, [str(p.pk) for p in people], {str(p.pk): p.remote_id for p in people})
    outcome = RemindOutcome(next_possible_at=result.next_possible_at)
    now = timezone.now()
    source = EventSource.USER if actor else EventSource.SYSTEM
    for person in people:
        if str(person.pk) in result.reminded:
            Participant.objects.filter(pk=person.pk).update(
                reminders_sent=F("reminders_sent") + 1, last_reminded_at=now
            )
            event_append(envelope=envelope, kind="participant.reminded", actor=actor, participant=person, source=source)
            outcome.reminded.append(person)
        else:
            outcome.not_reminded[person.name] = result.not_reminded.get(str(person.pk), "not reminded")
    return outcome


@transaction.atomic
def envelope_duplicate(*, envelope: Envelope, actor) -> Envelope:
    """A new draft with copies of the documents, participants (contact details kept, statuses
    reset) and signature fields."""
    copy = envelope_create(
        org=envelope.org,
        actor=actor,
        title=f"{envelope.title} (copy)",
        provider=envelope.provider,
        connection=envelope.connection,
    )
    envelope_update(
        envelope=copy,
        actor=actor,
        message=envelope.message,
        language=envelope.language,
        reminder_first_after_days=envelope.reminder_first_after_days,
        reminder_every_days=envelope.reminder_every_days,
        reminder_max=envelope.reminder_max,
    )
    documents = {document.pk: document_copy(document, Document, envelope=copy) for document in envelope.documents.all()}
    people = {}
    for person in envelope.participants.all():
        people[person.pk] = Participant.objects.create(
            envelope=copy,
            name=person.name,
            email=person.email,
            phone=person.phone,
            personal_number=person.personal_number,
            role=person.role,
            order=person.order,
            delivery=person.delivery,
            auth_view=person.auth_view,
            auth_sign=person.auth_sign,
            position=person.position,
        )
    SignatureField.objects.bulk_create(
        SignatureField(
            document=documents[f.document_id],
            participant=people[f.participant_id],
            page=f.page,
            x=f.x,
            y=f.y,
            width=f.width,
            height=f.height,
        )
        for f in SignatureField.objects.filter(document__envelope=envelope)
    )
    event_append(envelope=copy, kind="envelope.duplicated", actor=actor, data={"from": envelope.pk})
    return copy
