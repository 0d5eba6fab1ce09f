"""What needs someone: envelopes about to expire, invitations that bounced, and envelopes waiting
for the signed-in user. The dashboard counts them and the envelope list filters by them; each is one
indexed query however many envelopes the organization has."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import DateTimeField, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from envelopes.models import (
    BOUNCED,
    OUTSTANDING,
    WAITING_SINCE,
    Envelope,
    EnvelopeEvent,
    EnvelopeStatus,
    Participant,
    ParticipantRole,
    ParticipantStatus,
)
from portal.kernel.tenancy import org_scoped
from portal.models import Organization

EXPIRING_WITHIN = timedelta(days=7)
# Invitation times can come from a provider's clock, which may run a little behind ours.
CLOCK_SLACK = timedelta(hours=1)
# Only Paraph's own signing lets a member sign inside Paraph, so only its envelopes wait for "me".
SIGNS_HERE = "builtin"


def envelopes_expiring(org: Organization, *, now: datetime | None = None) -> QuerySet[Envelope]:
    """Out for signature and expiring within EXPIRING_WITHIN."""
    now = now or timezone.now()
    return org_scoped(Envelope, org).filter(
        status=EnvelopeStatus.SENT, expires_at__gt=now, expires_at__lte=now + EXPIRING_WITHIN
    )


def participants_waiting(org: Organization) -> QuerySet[Participant]:
    """Participants whose turn it is in envelopes out for signature, with `waiting_since`.

    Participants of expired, voided or declined envelopes stay invited or opened for ever, and soon
    outnumber those still awaited; walking them would make every search slower with age. Nobody
    awaited was invited before the oldest envelope still out was created, so searches start there
    (an exact bound: the index on `waiting_since` is read from that point on)."""
    return (
        org_scoped(Participant, org)
        .alias(waiting_since=WAITING_SINCE)
        .filter(OUTSTANDING, waiting_since__gte=_out_since(org), envelope__status=EnvelopeStatus.SENT)
    )


def _out_since(org: Organization):
    """When the oldest envelope still out for signature was created (less a little clock slack), as a
    subquery: the envelope_org_status_newest index answers it with one row."""
    oldest_out = org_scoped(Envelope, org).filter(status=EnvelopeStatus.SENT).order_by("created_at")
    return Subquery(oldest_out.values("created_at")[:1], output_field=DateTimeField()) - CLOCK_SLACK


def bounce_events(org: Organization) -> QuerySet[EnvelopeEvent]:
    """Bounces reported by providers (the `participant.bounced` event) for envelopes still out, unless
    the participant's contact details were changed after it. Like `participants_waiting`, only
    bounces since the oldest envelope still out are read (the event_bounced index)."""
    fixed_later = EnvelopeEvent.objects.filter(
        kind="participant.contact_changed", participant_id=OuterRef("participant_id"), id__gt=OuterRef("id")
    )
    return (
        org_scoped(EnvelopeEvent, org)
        .filter(org=org, kind=BOUNCED, occurred_at__gte=_out_since(org), envelope__status=EnvelopeStatus.SENT)
        .exclude(Exists(fixed_later))
    )


def bounced_count(org: Organization) -> int:
    """How many people's invitations bounced and who have not acted since."""
    waiting = bounce_events(org).filter(
        participant__status__in=[ParticipantStatus.INVITED, ParticipantStatus.OPENED]
    ).exclude(participant__role=ParticipantRole.VIEWER)
    return waiting.values("participant_id").distinct().count()


def participants_waiting_for(org: Organization, user) -> QuerySet[Participant]:
    """The user's own turns to sign or approve: built-in envelopes out for signature in which the user
    (by e-mail address) is a participant whose turn it is."""
    return (
        participants_waiting(org)
        .alias(email_ci=Lower("email"))  # with waiting_since, the participant_waiting_email index
        .filter(email_ci=user.email.lower(), envelope__provider=SIGNS_HERE)
    )
