"""The built-in provider's own records: Paraph playing the part of a remote signing service.

Like any provider it keeps its own copy of what it was asked to sign and reports back through
remote events; it never reads or writes envelope models.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class RequestStatus(models.TextChoices):
    SENT = "sent", "Out for signature"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"
    VOIDED = "voided", "Voided"
    EXPIRED = "expired", "Expired"


class SignerStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for their turn"
    INVITED = "invited", "Invited"
    OPENED = "opened", "Opened"
    SIGNED = "signed", "Signed"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class SigningRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    envelope_ref = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    message = models.TextField(blank=True)
    language = models.CharField(max_length=5, default="en")
    expires_at = models.DateTimeField(null=True, blank=True)
    notify_email = models.EmailField(blank=True, help_text="The sender, told of declines and completion.")
    notify_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.SENT)
    void_reason = models.CharField(max_length=500, blank=True, help_text="The sender's reason, shown on every link.")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    sealed_file = models.FileField(upload_to="builtin/sealed/", max_length=300, blank=True)
    sealed_sha256 = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["envelope_ref"], name="signing_request_envelope")]

    def __str__(self) -> str:
        return self.title


class SigningDocument(models.Model):
    request = models.ForeignKey(SigningRequest, on_delete=models.CASCADE, related_name="documents")
    ref = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, default="sign")
    file = models.FileField(upload_to="builtin/originals/", max_length=300)
    sha256 = models.CharField(max_length=64)
    page_count = models.PositiveIntegerField()
    page_sizes = models.JSONField(default=list, help_text="[width, height] of each page in PDF points.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Signer(models.Model):
    request = models.ForeignKey(SigningRequest, on_delete=models.CASCADE, related_name="signers")
    ref = models.CharField(max_length=40, help_text="The envelope's participant id.")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    role = models.CharField(max_length=10, default="signer")
    order = models.PositiveSmallIntegerField(default=1)
    auth_view = models.CharField(max_length=20, default="none")
    auth_sign = models.CharField(max_length=20, default="none")
    fields = models.JSONField(default=list, blank=True, help_text="Signature boxes: document ref, page, x, y, w, h.")
    status = models.CharField(max_length=10, choices=SignerStatus.choices, default=SignerStatus.WAITING)
    # The signing link's token is an HMAC of the signer and this nonce, so the same link can be
    # e-mailed again (reminders) without storing it; only its hash is looked up. A new nonce (or
    # none) revokes the link: on void and when the contact changes.
    token_nonce = models.CharField(max_length=32, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    otp_hash = models.CharField(max_length=64, blank=True)
    otp_expires_at = models.DateTimeField(null=True, blank=True)
    otp_attempts = models.PositiveSmallIntegerField(default=0)
    otp_verified_at = models.DateTimeField(null=True, blank=True)
    attachments_acknowledged_at = models.DateTimeField(null=True, blank=True)
    signature_png = models.BinaryField(blank=True, default=b"")
    signature_method = models.CharField(max_length=10, blank=True)  # typed | drawn
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class SealingIdentity(models.Model):
    """The instance's own signing certificate and key, as PKCS#12 encrypted with
    FIELD_ENCRYPTION_KEYS. Made on first use unless SIGNING_CERT_FILE is configured."""

    pkcs12_encrypted = models.BinaryField()
    subject = models.CharField(max_length=300)
    fingerprint_sha256 = models.CharField(max_length=64)
    not_after = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "sealing identities"

    def __str__(self) -> str:
        return self.subject
