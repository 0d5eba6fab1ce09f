"""A connection whose access ends for good: shown with its end, admins warned once a day before."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal.models import Role
from providers.expiry import connections_warn_expiring
from providers.models import ProviderConnection


def _connection(org, *, expires_in: timedelta, **credentials) -> ProviderConnection:
    connection = ProviderConnection(org=org, provider="formify", label="Sales")
    connection.credentials = {"access_token": "token", **credentials}
    connection.expires_at = timezone.now() + expires_in
    connection.save()
    return connection


def test_admins_are_warned_once_a_day_before_access_ends(member_client, settings):
    settings.FORMIFY_CLIENT_ID = "client"
    client, membership = member_client(role=Role.ADMIN)
    connection = _connection(membership.org, expires_in=timedelta(hours=20))
    assert connections_warn_expiring() == 1
    assert connections_warn_expiring() == 0  # once
    assert len(mail.outbox) == 1 and membership.user.email in mail.outbox[0].to
    assert "Sales" in mail.outbox[0].subject and "/connections/" in mail.outbox[0].body
    page = client.get(reverse("connection_list")).content.decode()
    assert "Access ends" in page and "reconnect before then" in page
    connection.refresh_from_db()
    assert connection.expiry_warned_at is not None


def test_no_warning_when_the_access_renews_itself_or_is_far_off(member_client):
    _, membership = member_client(role=Role.ADMIN)
    _connection(membership.org, expires_in=timedelta(hours=2), refresh_token="refresh")
    _connection(membership.org, expires_in=timedelta(days=5))
    assert connections_warn_expiring() == 0
    assert mail.outbox == []
