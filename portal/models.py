"""The foundation layer: people, organizations and who may do what in them.

Imports no other Paraph app; every app may import it.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with an e-mail address; there are no usernames."""

    username = None
    email = models.EmailField("e-mail address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class Role(models.TextChoices):
    """Ordered from least to most powerful; each role can do what the ones before it can."""

    VIEWER = "viewer", "Viewer"
    SENDER = "sender", "Sender"
    ADMIN = "admin", "Admin"
    OWNER = "owner", "Owner"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= Role(other).rank


class Organization(models.Model):
    """A business using Paraph. Everything it owns hangs off it."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Defaults every new envelope starts with; templates and envelopes may override.
    default_expiry_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days an envelope stays open for signing before it expires."
    )
    reminder_first_after_days = models.PositiveSmallIntegerField(
        default=3, help_text="Days after sending before the first reminder."
    )
    reminder_every_days = models.PositiveSmallIntegerField(default=3, help_text="Days between later reminders.")
    reminder_max = models.PositiveSmallIntegerField(
        default=3, help_text="Most reminders a participant receives (0 turns reminders off)."
    )
    expiry_warning_days = models.PositiveSmallIntegerField(
        default=3, help_text="Days before an envelope expires that its sender is warned by e-mail (0: no warning)."
    )
    # Retention: counted from the day an envelope was completed, declined, voided or expired.
    retention_files_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Days after an envelope is finished before its documents are deleted; empty keeps them.",
    )
    retention_personal_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Days after an envelope is finished before its participants' personal data is erased; "
        "empty keeps it.",
    )

    # The scoping helper filters on this path for every org-owned model.
    org_path = "self"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.SENDER)
    created_at = models.DateTimeField(default=timezone.now)

    org_path = "org"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "user"], name="membership_unique_org_user")]
        indexes = [models.Index(fields=["user", "org"], name="membership_user_org")]

    def __str__(self) -> str:
        return f"{self.user} in {self.org} ({self.role})"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


def hash_token(token: str) -> str:
    """Invitation tokens are stored hashed: a database leak gives no usable links."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An e-mailed, single-use link that makes its holder a member with the given role."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.SENDER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    org_path = "org"

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["org", "accepted_at"], name="invitation_org_open")]

    def __str__(self) -> str:
        return f"{self.email} to {self.org}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired
