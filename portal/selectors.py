"""Reads on organizations, memberships and invitations."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db.models import QuerySet
from django.utils import timezone

from portal.models import Invitation, Membership, Organization


def memberships_of_user(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("org").order_by("org__name", "org_id")


def members_of_org(org: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(org=org).select_related("user").order_by("user__email")


def invitations_open_for_org(org: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        org=org, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def invitations_open_for_user(user) -> QuerySet[Invitation]:
    """Open invitations to any of the user's verified addresses (the link is not needed
    once the address is proven)."""
    verified = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    emails = {email.lower() for email in verified}
    if not emails:
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now(), email__in=emails)
        .exclude(org__memberships__user=user)
        .select_related("org")
    )
