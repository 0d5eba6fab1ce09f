"""Writes on organizations, memberships and invitations. Each function checks the
rules a user could break and raises ValidationError with a sentence they can act on."""

from __future__ import annotations

import logging
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from portal.models import Invitation, Membership, Organization, Role, User, hash_token

log = logging.getLogger(__name__)


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def organization_create(*, name: str, owner: User) -> Organization:
    """A new organization with `owner` as its first owner."""
    org = Organization.objects.create(name=name.strip(), slug=_unique_slug(name))
    Membership.objects.create(org=org, user=owner, role=Role.OWNER)
    return org


def organization_delete(*, org: Organization, actor: User) -> None:
    """Deletes the organization and everything it owns."""
    log.info("organization %s deleted by user %s", org.pk, actor.pk)
    org.delete()


def _owner_count(org: Organization) -> int:
    return Membership.objects.filter(org=org, role=Role.OWNER).count()


def _check_may_touch(*, membership: Membership, actor: Membership) -> None:
    if membership.role == Role.OWNER and actor.role != Role.OWNER:
        raise ValidationError("Only an owner can change or remove another owner.")


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor: Membership) -> Membership:
    """Gives `membership` a new role; the last owner keeps theirs."""
    role = Role(role)
    _check_may_touch(membership=membership, actor=actor)
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise ValidationError("Only an owner can make someone an owner.")
    # Lock the organization's owners so two admins demoting owners at once cannot both succeed.
    list(Membership.objects.select_for_update().filter(org=membership.org, role=Role.OWNER))
    membership.refresh_from_db()
    if membership.role == Role.OWNER and role != Role.OWNER and _owner_count(membership.org) <= 1:
        raise ValidationError("An organization needs at least one owner. Make someone else an owner first.")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: Membership) -> None:
    """Removes a member; the last owner cannot be removed."""
    _check_may_touch(membership=membership, actor=actor)
    list(Membership.objects.select_for_update().filter(org=membership.org, role=Role.OWNER))
    if membership.role == Role.OWNER and _owner_count(membership.org) <= 1:
        raise ValidationError("The last owner cannot be removed. Make someone else an owner first.")
    membership.delete()


def _user_emails(user: User) -> set[str]:
    addresses = set(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    return {email.lower() for email in addresses | {user.email}}


def invitation_create(*, org: Organization, email: str, role: str, invited_by: Membership) -> Invitation:
    """Invites `email` with `role` and e-mails the link. Re-inviting someone replaces
    their earlier open invitation."""
    email = email.strip().lower()
    role = Role(role)
    if role == Role.OWNER and invited_by.role != Role.OWNER:
        raise ValidationError({"role": "Only an owner can invite another owner."})
    if Membership.objects.filter(org=org, user__email__iexact=email).exists():
        raise ValidationError({"email": f"{email} is already a member of {org.name}."})
    token = Invitation.new_token()
    with transaction.atomic():
        Invitation.objects.filter(org=org, email__iexact=email, accepted_at=None, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        invitation = Invitation.objects.create(
            org=org,
            email=email,
            role=role,
            token_hash=hash_token(token),
            invited_by=invited_by.user,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
    invitation_send_email(invitation=invitation, token=token)
    return invitation


def invitation_link(token: str) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[token])


def invitation_send_email(*, invitation: Invitation, token: str) -> None:
    """Sends the invitation e-mail; raises ValidationError when the mail server refuses."""
    context = {"invitation": invitation, "link": invitation_link(token), "inviter": invitation.invited_by}
    subject = render_to_string("portal/email/invitation_subject.txt", context).strip()
    body = render_to_string("portal/email/invitation_body.txt", context)
    try:
        send_mail(subject, body, None, [invitation.email])
    except OSError as exc:
        log.warning("invitation %s: e-mail not sent: %s", invitation.pk, exc.__class__.__name__)
        raise ValidationError(
            f"The invitation was saved, but the e-mail to {invitation.email} could not be sent "
            "(the mail server did not answer). Use Resend in a few minutes."
        ) from exc


def invitation_resend(*, invitation: Invitation, actor: Membership) -> Invitation:
    """A fresh link (the old one stops working) with a fresh expiry."""
    return invitation_create(org=invitation.org, email=invitation.email, role=invitation.role, invited_by=actor)


def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at=None).update(revoked_at=timezone.now())


def invitation_find(token: str) -> Invitation | None:
    return Invitation.objects.select_related("org", "invited_by").filter(token_hash=hash_token(token)).first()


def invitation_problem(*, invitation: Invitation, user: User | None) -> str | None:
    """Why this invitation cannot be accepted by `user`, or None when it can."""
    if invitation.accepted_at is not None:
        return "This invitation has already been used. Ask an admin of the organization to send a new one."
    if invitation.revoked_at is not None:
        return "This invitation was withdrawn or replaced by a newer one. Use the link in the latest e-mail."
    if invitation.is_expired:
        return "This invitation has expired. Ask an admin of the organization to send a new one."
    if user is not None and user.is_authenticated and invitation.email.lower() not in _user_emails(user):
        return (
            f"This invitation was sent to {invitation.email}, but you are signed in as {user.email}. "
            "Sign out and sign in (or create an account) with the invited address."
        )
    return None


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Makes `user` a member. Single use: of two clicks racing, one wins and the other is told."""
    problem = invitation_problem(invitation=invitation, user=user)
    if problem:
        raise ValidationError(problem)
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        accepted_at=timezone.now(), accepted_by=user
    )
    if claimed != 1:
        raise ValidationError("This invitation has already been used.")
    membership, created = Membership.objects.get_or_create(
        org=invitation.org, user=user, defaults={"role": invitation.role}
    )
    # The link reached this mailbox, which proves the address.
    EmailAddress.objects.filter(user=user, email__iexact=invitation.email).update(verified=True)
    return membership
