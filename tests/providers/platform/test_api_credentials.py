"""API credentials: a pasted static token sent as a bearer token, or a key and secret exchanged for
a JWT that is renewed ahead of expiry and once after a 401; refused credentials store nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Role
from providers.base import AuthExpired
from providers.models import ConnectionStatus, ProviderConnection
from providers.registry import adapter_for
from providers.webhooks import webhook_url
from tests.providers.conftest import path_of
from tests.providers.platform.conftest import event, webhook_body


@pytest.fixture
def admin_client(member_client):
    return member_client(role=Role.ADMIN)


def paste(client, fields: dict, label: str = "Ops", **extra):
    url = reverse("connection_paste", args=["platformsign"])
    return client.post(url, {"label": label, **fields, **extra}, follow=True).content.decode()


def bearer_tokens(fake) -> list[str]:
    return [call.headers.get("Authorization", "") for call in fake.api_calls()]


@pytest.fixture
def key_connection(sign_api, admin_client):
    """An account connected with a pasted key and secret."""
    client, admin = admin_client
    key, secret = sign_api.add_key_pair()
    paste(client, {"api_key": key, "api_secret": secret})
    return ProviderConnection.objects.get(org=admin.org), key


def test_a_pasted_static_token_is_sent_as_bearer_on_every_call(sign_api, admin_client):
    client, admin = admin_client
    token = sign_api.issue_token()
    sign_api.remote_envelope("env-1", **{"env-1-p1": "signed"})

    page = paste(client, {"api_token": f"  {token} "})

    assert "Connected Ops (Platform Test Account)." in page
    connection = ProviderConnection.objects.get(org=admin.org, provider="platformsign")
    assert connection.credentials == {"api_token": token}
    tested = client.post(reverse("connection_test", args=[connection.pk]), follow=True).content.decode()
    assert "Ops works: signed in as Platform Test Account." in tested
    assert adapter_for("platformsign", connection).fetch("env-1").status == "sent"
    assert bearer_tokens(sign_api) == [f"Bearer {token}"] * 3
    assert sign_api.calls_to("/auth/") == []


def test_a_refused_static_token_stores_nothing_and_says_why(sign_api, admin_client):
    client, _ = admin_client

    page = paste(client, {"api_token": "static-guessed"})

    assert "Platform Sign refused the connection: Platform Sign refused the API token of Ops; paste a new one." in page
    assert not ProviderConnection.objects.exists()


def test_nothing_pasted_is_refused_with_what_to_paste(sign_api, admin_client):
    client, _ = admin_client

    page = paste(client, {"api_key": "key-1"})

    assert "Paste the organization&#x27;s API token, or its API key and secret." in page
    assert not ProviderConnection.objects.exists() and sign_api.calls == []


def test_a_key_and_secret_are_exchanged_for_a_jwt_sent_as_bearer(key_connection, sign_api, admin_client):
    connection, key = key_connection
    client, _ = admin_client

    assert connection.status == ConnectionStatus.CONNECTED and connection.account_name == "Platform Test Account"
    jwt = connection.credentials["access_token"]
    assert jwt.count(".") == 2 and jwt in sign_api.live_jwts
    assert connection.expires_at - timezone.now() > timedelta(minutes=55)
    tested = client.post(reverse("connection_test", args=[connection.pk]), follow=True).content.decode()
    assert "Ops works: signed in as Platform Test Account." in tested
    assert len(sign_api.calls_to("/auth/authorize")) == 1
    assert sign_api.calls_to("/auth/authorize")[0].json()["key"] == key
    assert bearer_tokens(sign_api) == [f"Bearer {jwt}"] * 2


def test_an_expired_jwt_is_renewed_before_the_call(key_connection, sign_api):
    connection, _ = key_connection
    old = connection.credentials["access_token"]
    ProviderConnection.objects.filter(pk=connection.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    connection.refresh_from_db()
    sign_api.remote_envelope("env-1")

    adapter_for("platformsign", connection).fetch("env-1")

    connection.refresh_from_db()
    new = connection.credentials["access_token"]
    assert new != old and connection.expires_at > timezone.now()
    assert len(sign_api.calls_to("/auth/authorize")) == 2
    assert bearer_tokens(sign_api)[-1] == f"Bearer {new}"
    assert [c.path for c in sign_api.calls][-2:] == ["/auth/authorize", "/api/envelopes/env-1"]


def test_a_jwt_refused_with_401_is_renewed_once_and_the_call_repeated(key_connection, sign_api):
    connection, _ = key_connection
    sign_api.expire_access_tokens()  # the service's clock ran ahead of ours
    sign_api.remote_envelope("env-1", **{"env-1-p1": "opened"})
    calls_before = len(sign_api.calls)

    snapshot = adapter_for("platformsign", connection).fetch("env-1")

    assert snapshot.participants[0].status == "opened"
    assert [(c.path, c.method) for c in sign_api.calls[calls_before:]] == [
        ("/api/envelopes/env-1", "GET"),
        ("/auth/authorize", "POST"),
        ("/api/envelopes/env-1", "GET"),
    ]
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CONNECTED
    assert connection.credentials["access_token"] in sign_api.live_jwts


def test_a_refused_key_marks_the_connection_needs_reconnect(key_connection, sign_api, admin_client):
    connection, key = key_connection
    client, _ = admin_client
    sign_api.expire_access_tokens()
    sign_api.refuse_key(key)

    with pytest.raises(AuthExpired):
        adapter_for("platformsign", connection).fetch("env-1")

    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_RECONNECT
    assert connection.last_error == "Platform Sign refused the API key; paste a new key and secret."
    page = client.get(reverse("connection_list")).content.decode()
    assert "Needs reconnect" in page


def test_refused_key_and_secret_store_nothing(sign_api, admin_client):
    client, _ = admin_client
    key, _ = sign_api.add_key_pair()

    page = paste(client, {"api_key": key, "api_secret": "wrong"})

    assert "Platform Sign refused the connection: Platform Sign refused the API key; paste a new key and secret." in (
        page
    )
    assert not ProviderConnection.objects.exists()


def test_pasting_a_new_token_on_reconnect_keeps_the_same_connection(sign_api, admin_client):
    client, admin = admin_client
    old = sign_api.issue_token()
    paste(client, {"api_token": old})
    connection = ProviderConnection.objects.get(org=admin.org)
    sign_api.revoke_token(old)
    with pytest.raises(AuthExpired):
        adapter_for("platformsign", connection).account()
    new = sign_api.issue_token()

    page = paste(client, {"api_token": new}, label="ignored", reconnect=connection.pk)

    assert "Connected Ops (Platform Test Account)." in page
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CONNECTED and connection.last_error == ""
    assert connection.credentials == {"api_token": new}
    assert ProviderConnection.objects.count() == 1


@pytest.mark.parametrize("working", [True, False], ids=["connected", "needs-reconnect"])
def test_a_refused_token_pasted_on_reconnect_loses_nothing(sign_api, admin_client, working):
    client, admin = admin_client
    old = sign_api.issue_token()
    paste(client, {"api_token": old})
    connection = ProviderConnection.objects.get(org=admin.org)
    if not working:
        sign_api.revoke_token(old)
        with pytest.raises(AuthExpired):
            adapter_for("platformsign", connection).account()
        connection.refresh_from_db()
    before = (connection.status, connection.last_error, connection.credentials)

    page = paste(client, {"api_token": "static-guessed"}, reconnect=connection.pk)

    assert "Platform Sign refused the connection:" in page
    connection = ProviderConnection.objects.get(pk=connection.pk)  # the row is kept
    assert (connection.status, connection.last_error, connection.credentials) == before


def test_two_workers_holding_the_same_refused_jwt_renew_it_once(key_connection, sign_api):
    connection, _ = key_connection
    first, second = (adapter_for("platformsign", ProviderConnection.objects.get(pk=connection.pk)) for _ in "12")
    sign_api.expire_access_tokens()
    sign_api.remote_envelope("env-1")

    first.fetch("env-1")
    second.fetch("env-1")  # still holds the old JWT: refused, then takes the one the first worker got

    assert len(sign_api.calls_to("/auth/authorize")) == 2  # connecting, and one renewal
    connection.refresh_from_db()
    assert bearer_tokens(sign_api)[-1] == f"Bearer {connection.credentials['access_token']}"


def test_a_connection_with_a_secret_in_its_webhook_url_gets_a_fresh_secret_on_connect(
    sign_api, admin_client, client, django_capture_on_commit_callbacks
):
    admin, membership = admin_client
    url = reverse("connection_paste", args=["secreturlsign"])
    admin.post(url, {"label": "Hooks", "api_token": sign_api.issue_token()})
    connection = ProviderConnection.objects.get(org=membership.org)

    secret = connection.webhook_secret
    assert len(secret) >= 40 and webhook_url(connection).endswith(f"/{connection.pk}/{secret}/")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path_of(webhook_url(connection)), webhook_body(event("env-x")), "application/json")
    assert response.status_code == 200 and response.json() == {"received": 1, "new": 1}
