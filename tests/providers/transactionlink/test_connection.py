"""Connecting TransactionLink: a pasted token or key and secret, proved by a harmless call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Role
from providers.base import AuthExpired
from providers.models import ConnectionStatus, ProviderConnection
from providers.registry import adapter_for
from providers.selectors import send_options

pytestmark = pytest.mark.django_db


def test_a_pasted_token_connects_after_one_authenticated_probe(fake_tl, tl_connection):
    assert tl_connection.status == ConnectionStatus.CONNECTED
    assert tl_connection.credentials == {"api_token": fake_tl.api_token}
    probe = fake_tl.requests[-1]
    assert probe.method == "GET" and probe.path.startswith("/workflows/")
    assert probe.headers["Authorization"] == f"Bearer {fake_tl.api_token}"
    assert not fake_tl.cases and not fake_tl.runs  # nothing created, nothing billed


def test_a_refused_token_connects_nothing_and_says_so(fake_tl, paste):
    response, _, _ = paste(api_token="tot_wrong")
    assert "TransactionLink refused the connection" in response.content.decode()
    assert not ProviderConnection.objects.exists()


def test_key_and_secret_are_exchanged_for_a_jwt(fake_tl, paste):
    key, secret = fake_tl.api_key
    paste(api_key=key, api_secret=secret)
    connection = ProviderConnection.objects.get()
    assert connection.credentials["access_token"] in fake_tl.tokens.access
    assert connection.expires_at > timezone.now() + timedelta(minutes=50)
    assert fake_tl.requests_to("POST", "/auth/authorize")[0].json() == {"key": key, "secret": secret}


def test_a_refused_secret_connects_nothing(fake_tl, paste):
    key, _ = fake_tl.api_key
    response, _, _ = paste(api_key=key, api_secret="wrong")
    assert "refused the API key and secret" in response.content.decode()
    assert not ProviderConnection.objects.exists()


def test_an_expired_jwt_is_renewed_once_and_the_call_goes_through(fake_tl, paste):
    key, secret = fake_tl.api_key
    paste(api_key=key, api_secret=secret)
    connection = ProviderConnection.objects.get()
    fake_tl.tokens.access.clear()  # TransactionLink forgot the JWT: the next call gets 401
    adapter_for("transactionlink", connection).account()
    assert len(fake_tl.requests_to("POST", "/auth/authorize")) == 2


def test_a_token_revoked_later_marks_the_connection_for_reconnecting(fake_tl, tl):
    fake_tl.api_tokens.clear()
    with pytest.raises(AuthExpired):
        tl.account()
    assert ProviderConnection.objects.get().status == ConnectionStatus.NEEDS_RECONNECT


def test_the_test_button_probes_transactionlink(fake_tl, tl_connection, client):
    admin = tl_connection.created_by
    client.force_login(admin)
    before = len(fake_tl.requests)
    client.post(reverse("connection_test", args=[tl_connection.pk]), follow=True)
    assert len(fake_tl.requests) == before + 1
    tl_connection.refresh_from_db()
    assert tl_connection.last_error == "" and tl_connection.last_checked_at is not None


def test_a_screening_connection_is_never_a_send_with_choice(tl_connection):
    values = [value for value, _ in send_options(tl_connection.org)]
    assert not any(value.startswith("transactionlink") for value in values)


def test_senders_cannot_connect(fake_tl, paste, member_client):
    client, admin = member_client(role=Role.SENDER)
    response, _, _ = paste(client=client, admin=admin, api_token=fake_tl.api_token)
    assert response.status_code in (403, 404) or not ProviderConnection.objects.exists()
    assert not ProviderConnection.objects.exists()
