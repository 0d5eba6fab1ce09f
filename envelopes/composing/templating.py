"""Templates: save an envelope's setup for reuse, and start envelopes from one."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from envelopes.composing.documents import document_copy
from envelopes.lifecycle.audit import event_append
from envelopes.models import (
    Document,
    Envelope,
    Participant,
    SignatureField,
    Template,
    TemplateDocument,
    TemplateField,
    TemplateRole,
)
from envelopes.services import envelope_create, envelope_update


@transaction.atomic
def template_from_envelope(*, envelope: Envelope, actor, name: str) -> Template:
    """Keeps the envelope's documents, settings, and each participant as a role with their
    signature placement; the people themselves are not kept. Roles are named after what they do
    ("Signer 1", "Approver 1"), to be renamed on the template's page."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the template so you can find it later."})
    template = Template.objects.create(
        org=envelope.org,
        name=name,
        title=envelope.title,
        message=envelope.message,
        language=envelope.language,
        provider=envelope.provider,
        connection=envelope.connection,
        created_by=actor,
        expiry_days=max(1, (envelope.expires_at - envelope.created_at).days) if envelope.expires_at else 30,
        reminder_first_after_days=envelope.reminder_first_after_days,
        reminder_every_days=envelope.reminder_every_days,
        reminder_max=envelope.reminder_max,
    )
    documents = {
        document.pk: document_copy(document, TemplateDocument, template=template)
        for document in envelope.documents.all()
    }
    roles = {}
    numbers = Counter()
    for index, person in enumerate(envelope.participants.all()):
        numbers[person.role] += 1
        roles[person.pk] = TemplateRole.objects.create(
            template=template,
            label=f"{person.get_role_display()} {numbers[person.role]}",
            role=person.role,
            order=person.order,
            delivery=person.delivery,
            auth_view=person.auth_view,
            auth_sign=person.auth_sign,
            position=index,
        )
    TemplateField.objects.bulk_create(
        TemplateField(document=documents[f.document_id], role=roles[f.participant_id], **_placement(f))
        for f in SignatureField.objects.filter(document__envelope=envelope)
    )
    event_append(envelope=envelope, kind="envelope.saved_as_template", actor=actor, data={"template": name})
    return template


@transaction.atomic
def envelope_from_template(*, template: Template, actor) -> Envelope:
    """A new draft with the template's documents and settings; each role becomes a participant
    named after the role, signing where the role signs, whose contact details the sender fills in."""
    envelope = envelope_create(
        org=template.org,
        actor=actor,
        title=template.title or template.name,
        provider=template.provider,
        connection=template.connection,
    )
    envelope.template = template
    envelope.save(update_fields=["template"])
    envelope_update(
        envelope=envelope,
        actor=actor,
        message=template.message,
        language=template.language,
        expires_at=timezone.now() + timedelta(days=template.expiry_days),
        reminder_first_after_days=template.reminder_first_after_days,
        reminder_every_days=template.reminder_every_days,
        reminder_max=template.reminder_max,
    )
    documents = {
        document.pk: document_copy(document, Document, envelope=envelope) for document in template.documents.all()
    }
    people = {
        role.pk: Participant.objects.create(
            envelope=envelope,
            name=role.label,
            role=role.role,
            order=role.order,
            delivery=role.delivery,
            auth_view=role.auth_view,
            auth_sign=role.auth_sign,
            position=role.position,
        )
        for role in template.roles.all()
    }
    SignatureField.objects.bulk_create(
        SignatureField(document=documents[f.document_id], participant=people[f.role_id], **_placement(f))
        for f in TemplateField.objects.filter(role__template=template)
    )
    event_append(
        envelope=envelope, kind="envelope.created_from_template", actor=actor, data={"template": template.name}
    )
    return envelope


def _placement(field: SignatureField | TemplateField) -> dict:
    return {"page": field.page, "x": field.x, "y": field.y, "width": field.width, "height": field.height}


def template_update(*, template: Template, **fields) -> Template:
    for name, value in fields.items():
        setattr(template, name, value)
    template.save()
    return template


def template_role_add(*, template: Template, **fields) -> TemplateRole:
    label = (fields.get("label") or "").strip()
    if not label:
        raise ValidationError({"label": 'Name the role, for example "Customer".'})
    fields["label"] = label
    position = template.roles.count()
    return TemplateRole.objects.create(template=template, position=position, **fields)


def template_role_rename(*, role: TemplateRole, label: str) -> TemplateRole:
    """Renames a role in place ("Client", "Witness"); its settings and placement stay."""
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": 'Name the role, for example "Client".'})
    role.label = label
    role.save(update_fields=["label"])
    return role


def template_role_remove(*, role: TemplateRole) -> None:
    role.delete()
