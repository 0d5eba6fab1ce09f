"""Who takes part in an envelope and in which order."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max

from envelopes.lifecycle.audit import changes, event_append
from envelopes.models import (
    Delivery,
    Envelope,
    EnvelopeStatus,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    SignatureField,
)
from envelopes.outgoing.sending import provider_for
from providers.base import Capability, ParticipantSpec, ProviderError

EDITABLE_FIELDS = ("name", "email", "phone", "personal_number", "role", "order", "delivery", "auth_view", "auth_sign")
NEEDS_EMAIL = {Delivery.EMAIL, Delivery.EMAIL_SMS}
NEEDS_PHONE = {Delivery.SMS, Delivery.EMAIL_SMS, Delivery.WHATSAPP}
DRAFT_ONLY = "This envelope has been sent and can no longer be changed."


def require_draft(envelope: Envelope) -> None:
    if not envelope.is_draft:
        raise ValidationError(DRAFT_ONLY)


def phone_to_e164(raw: str) -> str:
    """'+46 70-123 45 67' → '+46701234567'; ValidationError when it is not a real number."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    hint = "Enter a phone number with its country code, for example +46 70 123 45 67."
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"{raw} is not a phone number. {hint}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"{raw} is not a valid phone number. {hint}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _clean(envelope: Envelope, data: dict, *, exclude_id: int | None = None) -> dict:
    """Normalises participant data and raises ValidationError keyed by field."""
    errors: dict[str, str] = {}
    data = {**data}
    data["name"] = (data.get("name") or "").strip()
    data["email"] = (data.get("email") or "").strip().lower()
    if not data["name"]:
        errors["name"] = "Enter the participant's name."
    try:
        data["phone"] = phone_to_e164(data.get("phone", ""))
    except ValidationError as exc:
        errors["phone"] = exc.messages[0]
    if data["email"]:
        try:
            validate_email(data["email"])
        except ValidationError:
            errors["email"] = f"{data['email']} is not a valid e-mail address."
        others = envelope.participants.filter(email__iexact=data["email"])
        if exclude_id:
            others = others.exclude(pk=exclude_id)
        if others.exists():
            errors["email"] = f"{data['email']} is already a participant in this envelope."
    delivery = data.get("delivery", Delivery.EMAIL)
    if delivery in NEEDS_EMAIL and not data["email"] and "email" not in errors:
        errors["email"] = "Enter an e-mail address: the invitation is sent by e-mail."
    if delivery in NEEDS_PHONE and not data["phone"] and "phone" not in errors:
        errors["phone"] = "Enter a phone number: the invitation is sent by text message."
    if int(data.get("order") or 1) < 1:
        errors["order"] = "The signing order starts at 1."
    if errors:
        raise ValidationError(errors)
    return data


def _next_position(envelope: Envelope) -> int:
    top = envelope.participants.aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


def envelope_is_sequential(envelope: Envelope) -> bool:
    return len({p.order for p in envelope.participants.all()}) > 1


@transaction.atomic
def participant_add(*, envelope: Envelope, actor=None, **fields) -> Participant:
    """Adds a participant at the end; in a sequential envelope they sign after everyone else.
    Raises ValidationError (by field) for bad contact details or a duplicate e-mail."""
    require_draft(envelope)
    data = _clean(envelope, {key: fields[key] for key in EDITABLE_FIELDS if key in fields})
    if "order" not in fields:
        orders = list(envelope.participants.values_list("order", flat=True))
        sequential = len(set(orders)) > 1
        data["order"] = (max(orders) + 1) if sequential else 1
    participant = Participant.objects.create(envelope=envelope, position=_next_position(envelope), **data)
    event_append(
        envelope=envelope,
        kind="participant.added",
        actor=actor,
        participant=participant,
        data={"name": participant.name, "role": participant.role},
    )
    return participant


@transaction.atomic
def participant_update(*, participant: Participant, actor=None, **fields) -> Participant:
    """Edits a draft's participant; same checks as adding."""
    envelope = participant.envelope
    require_draft(envelope)
    current = {key: getattr(participant, key) for key in EDITABLE_FIELDS}
    data = _clean(envelope, {**current, **fields}, exclude_id=participant.pk)
    for key, value in data.items():
        setattr(participant, key, value)
    participant.save(update_fields=list(data))
    edited = changes(current, data)
    if edited:  # saving the form unchanged is not an event
        event_append(envelope=envelope, kind="participant.edited", actor=actor, participant=participant, data=edited)
    return participant


@transaction.atomic
def participant_remove(*, participant: Participant, actor=None) -> None:
    envelope = participant.envelope
    require_draft(envelope)
    event_append(
        envelope=envelope,
        kind="participant.removed",
        actor=actor,
        data={"name": participant.name, "email": participant.email},
    )
    sequential = envelope_is_sequential(envelope)
    participant.delete()
    _renumber(envelope, sequential=sequential)


def _renumber(envelope: Envelope, *, sequential: bool) -> None:
    """Positions 0..n-1; in a sequential envelope groups keep their relative order, renumbered 1..k."""
    people = list(envelope.participants.order_by("position", "id"))
    if sequential:
        groups = sorted({p.order for p in people})
        rank = {order: index + 1 for index, order in enumerate(groups)}
    for index, person in enumerate(people):
        person.position = index
        if sequential:
            person.order = rank[person.order]
    Participant.objects.bulk_update(people, ["position", "order"])


@transaction.atomic
def participant_move(*, participant: Participant, offset: int, actor=None) -> None:
    """Moves a participant up (-1) or down (+1) in the list; in a sequential envelope they also
    swap places in the signing order."""
    envelope = participant.envelope
    require_draft(envelope)
    people = list(envelope.participants.order_by("position", "id"))
    index = next(i for i, p in enumerate(people) if p.pk == participant.pk)
    target = index + offset
    if not 0 <= target < len(people):
        return
    sequential = envelope_is_sequential(envelope)
    people[index], people[target] = people[target], people[index]
    if sequential:
        people[index].order, people[target].order = people[target].order, people[index].order
    for position, person in enumerate(people):
        person.position = position
    Participant.objects.bulk_update(people, ["position", "order"])
    event_append(
        envelope=envelope,
        kind="participant.reordered",
        actor=actor,
        participant=participant,
        # Positions, not names: erasing personal data later leaves nothing behind here.
        data={"from_position": index + 1, "to_position": target + 1},
    )


@transaction.atomic
def envelope_set_signing_order(*, envelope: Envelope, sequential: bool, actor=None) -> None:
    """Parallel: everyone signs at once (order 1). Sequential: one after another, in list order."""
    require_draft(envelope)
    was_sequential = envelope_is_sequential(envelope)
    people = list(envelope.participants.order_by("position", "id"))
    for index, person in enumerate(people):
        person.order = index + 1 if sequential else 1
    Participant.objects.bulk_update(people, ["order"])
    if people and sequential != was_sequential:
        event_append(
            envelope=envelope,
            kind="envelope.signing_order_changed",
            actor=actor,
            data={"signing_order": "one after another" if sequential else "everyone at once"},
        )


def signing_summary(participants: list[Participant]) -> str:
    """In words: "Anna signs first, then Bo and Cecilia together, then Dan." Viewers and
    approvers are named by what they do."""
    acting = [p for p in participants if p.role != ParticipantRole.VIEWER]
    if not acting:
        return "Nobody has been added to sign yet."
    groups: dict[int, list[Participant]] = {}
    for person in sorted(acting, key=lambda p: (p.order, p.position)):
        groups.setdefault(person.order, []).append(person)

    def names(group: list[Participant]) -> str:
        labels = [p.name or "(no name yet)" for p in group]
        return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]

    def verb(group: list[Participant]) -> str:
        roles = {p.role for p in group}
        action = "approve" if roles == {ParticipantRole.APPROVER} else "sign"
        if len(group) == 1:
            return action + "s"
        return f"{action} together" if len(groups) > 1 else action

    parts = list(groups.values())
    if len(parts) == 1:
        group = parts[0]
        sentence = f"{names(group)} {verb(group)}" + (", in any order" if len(group) > 1 else "")
    else:
        sentence = f"{names(parts[0])} {verb(parts[0])} first"
        sentence += "".join(f", then {names(group)} {verb(group)}" for group in parts[1:])
    viewers = [p.name for p in participants if p.role == ParticipantRole.VIEWER]
    if viewers:
        sentence += f"; {', '.join(viewers)} receive{'s' if len(viewers) == 1 else ''} a copy to view"
    return sentence + "."


@transaction.atomic
def participant_place(
    *, participant: Participant, document=None, page: int = 1, x: float = 0, y: float = 0, actor=None
) -> None:
    """Sets where a signer signs: one box on `page` of `document`, or (document None) on a
    signature page appended at the end. A change is recorded in the audit trail."""
    require_draft(participant.envelope)
    before = [_placement(box) for box in participant.fields.select_related("document")]
    SignatureField.objects.filter(participant=participant).delete()
    if document is not None:
        if document.envelope_id != participant.envelope_id:
            raise ValidationError("That document belongs to another envelope.")
        if not 1 <= page <= document.page_count:
            raise ValidationError({"page": f"{document.name} has {document.page_count} page(s)."})
        SignatureField.objects.create(document=document, participant=participant, page=page, x=x, y=y)
    after = [_placement(box) for box in participant.fields.select_related("document")]
    if before != after:
        event_append(
            envelope=participant.envelope,
            kind="participant.placement_changed",
            actor=actor,
            participant=participant,
            data={"from": before or "signature page", "to": after or "signature page"},
        )


def _placement(box: SignatureField) -> dict:
    return {"document": box.document.name, "page": box.page, "x": round(box.x, 1), "y": round(box.y, 1)}


def participant_change_contact(*, participant: Participant, actor, email: str = "", phone: str = "") -> Participant:
    """After sending: corrects a participant's e-mail or phone, at the provider too."""
    envelope = participant.envelope
    if envelope.status != EnvelopeStatus.SENT:
        raise ValidationError("Contact details can be changed only while the envelope is out for signature.")
    if participant.status in (ParticipantStatus.SIGNED, ParticipantStatus.APPROVED, ParticipantStatus.DECLINED):
        raise ValidationError(f"{participant.name} has already finished.")
    current = {key: getattr(participant, key) for key in EDITABLE_FIELDS}
    data = _clean(envelope, {**current, "email": email, "phone": phone}, exclude_id=participant.pk)
    provider = provider_for(envelope)
    if not provider.supports(Capability.UPDATE_PARTICIPANT):
        raise ValidationError(f"{provider.name} does not let Paraph change a participant after sending.")
    spec = ParticipantSpec(
        ref=str(participant.pk),
        name=participant.name,
        email=data["email"],
        phone=data["phone"],
        role=participant.role,
        order=participant.order,
        delivery=participant.delivery,
        auth_view=participant.auth_view,
        auth_sign=participant.auth_sign,
        remote_id=participant.remote_id,
    )
    try:
        remote_id = provider.update_participant(envelope.remote_id, spec)
    except ProviderError as exc:
        raise ValidationError(f"{provider.name} did not accept the change: {exc.message}") from exc
    old = {"email": participant.email, "phone": participant.phone}
    participant.email, participant.phone, participant.remote_id = data["email"], data["phone"], remote_id
    participant.save(update_fields=["email", "phone", "remote_id"])
    event_append(
        envelope=envelope,
        kind="participant.contact_changed",
        actor=actor,
        participant=participant,
        data={"old": old, "new": {"email": participant.email, "phone": participant.phone}},
    )
    return participant
