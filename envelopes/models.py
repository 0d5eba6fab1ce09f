"""The envelope domain: what a business prepares, sends and tracks.

Status fields are written only by `envelopes.lifecycle.states` (the one place transitions happen);
events only by `envelopes.lifecycle.audit`.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from portal.models import Organization


class EnvelopeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Awaiting signatures"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"
    VOIDED = "voided", "Voided"
    EXPIRED = "expired", "Expired"
    FAILED = "failed", "Failed"


class ParticipantStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for their turn"
    INVITED = "invited", "Invited"
    OPENED = "opened", "Opened"
    SIGNED = "signed", "Signed"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class ParticipantRole(models.TextChoices):
    SIGNER = "signer", "Signer"
    APPROVER = "approver", "Approver"
    VIEWER = "viewer", "Viewer"


class Delivery(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    EMAIL_SMS = "email_sms", "E-mail and SMS"
    WHATSAPP = "whatsapp", "WhatsApp"


class AuthMethod(models.TextChoices):
    NONE = "none", "None"
    EMAIL_OTP = "email_otp", "E-mail code"
    SMS_OTP = "sms_otp", "SMS code"
    SE_BANKID = "se_bankid", "Swedish BankID"
    NO_BANKID = "no_bankid", "Norwegian BankID"
    DK_MITID = "dk_mitid", "Danish MitID"
    FI_FTN = "fi_ftn", "Finnish FTN"
    ONFIDO = "onfido", "Onfido"
    ID_SCAN = "id_scan", "ID scan"
    FACE_LIVENESS = "face_liveness", "Face liveness"


class Language(models.TextChoices):
    EN = "en", "English"
    SV = "sv", "Swedish"
    NO = "no", "Norwegian"
    DA = "da", "Danish"
    FI = "fi", "Finnish"
    DE = "de", "German"
    FR = "fr", "French"
    ES = "es", "Spanish"
    NL = "nl", "Dutch"
    PL = "pl", "Polish"


class DocumentKind(models.TextChoices):
    SIGN = "sign", "To sign"
    ATTACHMENT = "attachment", "Attachment to read"


class EventSource(models.TextChoices):
    USER = "user", "User"
    PROVIDER = "provider", "Provider"
    SYSTEM = "system", "System"


MESSAGE_MAX_LENGTH = 500


class ReminderPolicy(models.Model):
    """First reminder after X days, then every Y days, at most Z."""

    reminder_first_after_days = models.PositiveSmallIntegerField(default=3)
    reminder_every_days = models.PositiveSmallIntegerField(default=3)
    reminder_max = models.PositiveSmallIntegerField(default=3)

    class Meta:
        abstract = True


class Template(ReminderPolicy):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="templates")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True, help_text="Title given to envelopes made from it.")
    message = models.TextField(max_length=MESSAGE_MAX_LENGTH, blank=True)
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.EN)
    expiry_days = models.PositiveSmallIntegerField(default=30)
    provider = models.CharField(max_length=40, blank=True)
    connection = models.ForeignKey(
        "providers.ProviderConnection", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    org_path = "org"

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["org", "name"], name="template_org_name")]

    def __str__(self) -> str:
        return self.name


def _template_file_path(instance: TemplateDocument, filename: str) -> str:
    return f"orgs/{instance.template.org_id}/templates/{instance.template_id}/{filename}"


class TemplateDocument(models.Model):
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=10, choices=DocumentKind.choices, default=DocumentKind.SIGN)
    name = models.CharField(max_length=200)
    file = models.FileField(upload_to=_template_file_path, max_length=300)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    page_count = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    org_path = "template__org"

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class TemplateRole(models.Model):
    """A participant-to-be: filled in with a real person when the template is used."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="roles")
    label = models.CharField(max_length=100, help_text='E.g. "Customer" or "Sales manager".')
    role = models.CharField(max_length=10, choices=ParticipantRole.choices, default=ParticipantRole.SIGNER)
    order = models.PositiveSmallIntegerField(default=1)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)
    auth_view = models.CharField(max_length=20, choices=AuthMethod.choices, default=AuthMethod.NONE)
    auth_sign = models.CharField(max_length=20, choices=AuthMethod.choices, default=AuthMethod.NONE)
    position = models.PositiveSmallIntegerField(default=0)

    org_path = "template__org"

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class TemplateField(models.Model):
    """Where a template's role signs, kept so envelopes made from the template sign in the same
    spot: PDF points on a page of one of the template's documents, as in SignatureField."""

    document = models.ForeignKey(TemplateDocument, on_delete=models.CASCADE, related_name="fields")
    role = models.ForeignKey(TemplateRole, on_delete=models.CASCADE, related_name="fields")
    page = models.PositiveIntegerField()
    x = models.FloatField()
    y = models.FloatField()
    width = models.FloatField(default=180)
    height = models.FloatField(default=60)

    org_path = "role__template__org"

    class Meta:
        ordering = ["document_id", "page", "id"]

    def __str__(self) -> str:
        return f"page {self.page} at ({self.x:.0f}, {self.y:.0f})"


class Envelope(ReminderPolicy):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="envelopes")
    provider = models.CharField(max_length=40, blank=True, help_text="Registry id of the provider that sends it.")
    # The account it is sent through; empty for providers that need none (Paraph's own signing).
    connection = models.ForeignKey(
        "providers.ProviderConnection", on_delete=models.RESTRICT, null=True, blank=True, related_name="envelopes"
    )
    template = models.ForeignKey(Template, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=200)
    message = models.TextField(max_length=MESSAGE_MAX_LENGTH, blank=True)
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.EN)
    status = models.CharField(max_length=10, choices=EnvelopeStatus.choices, default=EnvelopeStatus.DRAFT)
    expires_at = models.DateTimeField(null=True, blank=True)
    remote_id = models.CharField(max_length=200, blank=True)
    remote_state = models.JSONField(default=dict, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=500, blank=True)
    last_error = models.TextField(blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    legal_hold = models.BooleanField(default=False)
    # Retention (envelopes.outgoing.retention): purge_after is the claim on the envelope while a purge works
    # on it (no other worker takes it before then); purged_at is when its files were deleted and
    # personal_erased_at when its participants' personal data was erased.
    purge_after = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    personal_erased_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The completed envelope as the provider returns it (sealed, for the built-in provider).
    signed_file = models.FileField(upload_to="signed/", max_length=300, blank=True)
    signed_sha256 = models.CharField(max_length=64, blank=True)
    # Head of the audit chain, kept here so appending needs no scan of the events.
    last_event_hash = models.CharField(max_length=64, blank=True)

    org_path = "org"

    class Meta:
        indexes = [
            # The list page: newest first, optionally one status, keyset on (created_at, id).
            models.Index(fields=["org", "-created_at", "-id"], name="envelope_org_newest"),
            models.Index(fields=["org", "status", "-created_at", "-id"], name="envelope_org_status_newest"),
            models.Index(fields=["org", "title"], name="envelope_org_title"),
            # The background sweeps look only at envelopes out for signature.
            models.Index(fields=["next_reminder_at"], condition=Q(status="sent"), name="envelope_reminder_due"),
            models.Index(fields=["expires_at"], condition=Q(status="sent"), name="envelope_expiry_due"),
            models.Index(fields=["next_sync_at"], condition=Q(status="sent"), name="envelope_sync_due"),
            # Webhooks and polls find the envelope by the provider's id for it.
            models.Index(fields=["provider", "remote_id"], name="envelope_remote_id"),
            # Dashboards and signer tracking: an organization's envelopes out for signature by expiry
            # ("expiring within 7 days", "expiring soonest") and by provider account.
            models.Index(fields=["org", "expires_at"], condition=Q(status="sent"), name="envelope_org_expiring"),
            models.Index(
                fields=["org", "provider", "connection"], condition=Q(status="sent"), name="envelope_org_account_out"
            ),
            # The operators' admin: sends stuck or failed, across organizations.
            models.Index(
                fields=["id"], condition=Q(status__in=["queued", "sending", "failed"]), name="envelope_stuck"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == EnvelopeStatus.DRAFT

    def first_reminder_due(self):
        """When the first automatic reminder is due once sent (None: reminders are off)."""
        if self.reminder_max == 0 or self.sent_at is None:
            return None
        return self.sent_at + timedelta(days=self.reminder_first_after_days)


def _document_file_path(instance: Document, filename: str) -> str:
    return f"orgs/{instance.envelope.org_id}/envelopes/{instance.envelope_id}/{filename}"


class Document(models.Model):
    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=10, choices=DocumentKind.choices, default=DocumentKind.SIGN)
    name = models.CharField(max_length=200)
    file = models.FileField(upload_to=_document_file_path, max_length=300)
    sha256 = models.CharField(max_length=64)
    # The file as uploaded, when active content (scripts, launch actions, embedded files) was removed
    # before storing; `sha256` is always the stored file's.
    original_sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField()
    page_count = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)
    remote_id = models.CharField(max_length=200, blank=True)
    signed_file = models.FileField(upload_to=_document_file_path, max_length=300, blank=True)
    signed_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    org_path = "envelope__org"

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


# Participants whose turn it is and who have not acted yet (viewers have nothing left to do), and
# since when they have waited: invited, or opened when a provider reported that first.
OUTSTANDING = Q(status__in=[ParticipantStatus.INVITED, ParticipantStatus.OPENED]) & ~Q(role=ParticipantRole.VIEWER)
WAITING_SINCE = Coalesce("invited_at", "opened_at")


class Participant(models.Model):
    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="participants")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +46701234567")
    personal_number = models.CharField(max_length=40, blank=True)
    role = models.CharField(max_length=10, choices=ParticipantRole.choices, default=ParticipantRole.SIGNER)
    order = models.PositiveSmallIntegerField(default=1, help_text="Signing order; equal numbers sign together.")
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)
    auth_view = models.CharField(max_length=20, choices=AuthMethod.choices, default=AuthMethod.NONE)
    auth_sign = models.CharField(max_length=20, choices=AuthMethod.choices, default=AuthMethod.NONE)
    status = models.CharField(max_length=10, choices=ParticipantStatus.choices, default=ParticipantStatus.WAITING)
    position = models.PositiveSmallIntegerField(default=0)
    remote_id = models.CharField(max_length=200, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    org_path = "envelope__org"

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                "envelope", Lower("email"), condition=~Q(email=""), name="participant_unique_email_per_envelope"
            )
        ]
        indexes = [
            models.Index(fields=["envelope", "status"], name="participant_envelope_status"),
            # By address, newest first (the admin's search pages through thousands of one person's rows).
            models.Index(Lower("email"), "id", name="participant_email_ci_id"),
            # Signer tracking and "waiting for me": the people whose turn it is, by how long they have waited.
            models.Index(WAITING_SINCE, "id", condition=OUTSTANDING, name="participant_waiting"),
            models.Index(Lower("email"), WAITING_SINCE, condition=OUTSTANDING, name="participant_waiting_email"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email or self.phone}>"


class SignatureField(models.Model):
    """Where a participant signs: PDF points, origin bottom-left. A signer with no fields
    signs on a signature page appended to the document."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="fields")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="fields")
    page = models.PositiveIntegerField()
    x = models.FloatField()
    y = models.FloatField()
    width = models.FloatField(default=180)
    height = models.FloatField(default=60)

    org_path = "document__envelope__org"

    class Meta:
        ordering = ["document_id", "page", "id"]

    def __str__(self) -> str:
        return f"page {self.page} at ({self.x:.0f}, {self.y:.0f})"


EVENT_LABELS = {
    "envelope.created": "Envelope created",
    "envelope.created_from_template": "Created from a template",
    "envelope.duplicated": "Created as a copy",
    "envelope.saved_as_template": "Saved as a template",
    "envelope.queued": "Sent for signature",
    "envelope.sending": "Handed to the provider",
    "envelope.sent": "Out for signature",
    "envelope.failed": "Sending failed",
    "envelope.completed": "Completed",
    "envelope.declined": "Declined",
    "envelope.voided": "Voided",
    "envelope.expired": "Expired",
    "document.added": "Document added",
    "document.removed": "Document removed",
    "document.reordered": "Documents reordered",
    "participant.added": "Participant added",
    "participant.removed": "Participant removed",
    "participant.edited": "Participant edited",
    "participant.reordered": "Participants reordered",
    "participant.placement_changed": "Signature placement changed",
    "envelope.settings_changed": "Settings changed",
    "envelope.signing_order_changed": "Signing order changed",
    "participant.invited": "Invited",
    "participant.opened": "Opened the documents",
    "participant.signed": "Signed",
    "participant.approved": "Approved",
    "participant.declined": "Declined",
    "participant.reminded": "Reminded",
    "participant.bounced": "Invitation could not be delivered",
    "participant.contact_changed": "Contact details changed",
    "participant.code_sent": "E-mail code sent",
    "participant.code_failed": "Wrong e-mail code entered",
    "participant.code_locked": "Locked after too many wrong codes",
    "participant.code_confirmed": "E-mail code confirmed",
}


# Reported by providers (through the remote-event path) when an invitation could not be delivered.
BOUNCED = "participant.bounced"


class EnvelopeEvent(models.Model):
    """Append-only and hash-chained: hash = sha256(prev_hash + canonical JSON of the event)."""

    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="events")
    # The envelope's organization, copied so that an organization's latest events are one index
    # range (the dashboard's activity feed) rather than a walk through everyone's. Not hashed.
    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    participant = models.ForeignKey(Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=60)
    occurred_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=10, choices=EventSource.choices, default=EventSource.USER)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    remote_event_id = models.CharField(max_length=200, null=True, blank=True)
    # Snapshots of who, hashed instead of the foreign keys above: removing a draft's participant
    # or deleting a user account must not change a recorded event.
    participant_ref = models.CharField(max_length=40, blank=True)
    actor_ref = models.CharField(max_length=40, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    org_path = "envelope__org"

    class Meta:
        ordering = ["id"]
        constraints = [
            # One successor per link: two writers racing cannot fork the chain.
            models.UniqueConstraint(fields=["envelope", "prev_hash"], name="event_chain_single_successor"),
            models.UniqueConstraint(
                fields=["envelope", "remote_event_id"],
                condition=Q(remote_event_id__isnull=False),
                name="event_unique_remote_id",
            ),
        ]
        indexes = [
            models.Index(fields=["envelope", "id"], name="event_envelope_id"),
            models.Index(fields=["org", "-id"], name="event_org_newest"),
            # Needs attention: an organization's recent bounced invitations. Rare, so the index is small.
            models.Index(fields=["org", "occurred_at"], condition=Q(kind=BOUNCED), name="event_bounced"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.kind, self.kind.replace(".", " ").replace("_", " ").capitalize())


# The count tables live in their own module; importing them here registers them with the app.
from envelopes.lifecycle.count_tables import EnvelopeDailyCount, EnvelopeStatusCount  # noqa: E402, F401
