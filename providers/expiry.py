"""Connections whose access ends for good at a known time (a token with an expiry and nothing to
renew it): the org's admins are warned by e-mail a day before, once per connection; at expiry the
first refused call marks the connection *needs reconnect* and the banner shows it."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from portal.models import Membership, Role
from providers.models import EXPIRY_WARNING, ConnectionStatus, ProviderConnection
from providers.registry import provider_class, provider_exists

log = logging.getLogger(__name__)


def connections_warn_expiring(*, now: datetime | None = None) -> int:
    """E-mails the admins of each connection whose access ends within a day; returns how many
    connections were warned about."""
    now = now or timezone.now()
    due = ProviderConnection.objects.filter(
        status=ConnectionStatus.CONNECTED, expires_at__lte=now + EXPIRY_WARNING, expires_at__gt=now,
        expiry_warned_at__isnull=True,
    ).select_related("org")
    warned = 0
    for connection in due:
        if not connection.expiry_is_final:
            continue
        # Claim first (compare-and-set), so two workers never send the same warning twice.
        claimed = ProviderConnection.objects.filter(pk=connection.pk, expiry_warned_at__isnull=True)
        if claimed.update(expiry_warned_at=now) != 1:
            continue
        _warn(connection)
        warned += 1
    return warned


def _warn(connection: ProviderConnection) -> None:
    admins = Membership.objects.filter(org=connection.org, role__in=[Role.ADMIN, Role.OWNER]).select_related("user")
    recipients = sorted({m.user.email for m in admins if m.user.email})
    name = provider_class(connection.provider).name if provider_exists(connection.provider) else connection.provider
    when = timezone.localtime(connection.expires_at).strftime("%d %b %Y, %H:%M")
    link = settings.SITE_URL + reverse("connection_list")
    body = (
        f"Paraph's access to the {name} account \"{connection.label}\" of {connection.org.name} ends on {when}, "
        f"and {name} gave Paraph no way to renew it.\n\n"
        f"Reconnect it before then so envelopes keep being sent and tracked: {link}\n"
    )
    try:
        send_mail(f"Reconnect {connection.label} before {when}", body, None, recipients)
    except OSError:
        log.warning("connection %s: expiry warning not sent (mail server)", connection.pk)
