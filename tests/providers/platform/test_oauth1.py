"""OAuth 1 with the PLAINTEXT signature: three-legged through the connection screens, or personal
access credentials pasted by an admin; a refused token means *needs reconnect* at once."""

from __future__ import annotations

import pytest
import requests
from django.urls import reverse

from portal.models import Role
from providers.base import AuthExpired
from providers.models import ConnectionStatus, ProviderConnection
from providers.registry import adapter_for
from tests.providers.conftest import path_of
from tests.providers.platform.fake_oauth1 import oauth_params, plaintext

CALLBACK = "http://testserver/connections/oauth1sign/callback/?"


@pytest.fixture
def admin_client(member_client):
    return member_client(role=Role.ADMIN)


def consent(authorize_url: str) -> str:
    """What the account owner's browser does on the consent page: approve, and follow the redirect."""
    with requests.Session() as browser:
        browser.trust_env = False
        response = browser.get(authorize_url, allow_redirects=False)
    assert response.status_code == 302, response.content
    return response.headers["Location"]


def start(client, label: str = "Legal") -> str:
    response = client.post(reverse("connection_connect", args=["oauth1sign"]), {"label": label})
    assert response.status_code == 302
    return response["Location"]


def messages_on(response) -> str:
    return response.content.decode()


def test_three_legged_connect_goes_through_the_consent_page_and_signs_every_call_in_plaintext(oauth1_api, admin_client):
    client, admin = admin_client
    authorize = start(client)
    assert authorize.startswith(f"{oauth1_api.url}/oauth/authorize?oauth_token=")
    callback = consent(authorize)
    assert callback.startswith(CALLBACK) and "oauth_verifier=" in callback

    page = messages_on(client.get(path_of(callback), follow=True))

    assert "Connected Legal (Platform Test Account)." in page
    connection = ProviderConnection.objects.get(org=admin.org, provider="oauth1sign")
    assert connection.status == ConnectionStatus.CONNECTED and connection.account_id == "acct-1"
    stored = connection.credentials
    assert stored["client_key"] == oauth1_api.client_key and stored["token_key"] in oauth1_api.tokens
    signed = [path for path, accepted in oauth1_api.plaintext_checks if accepted]
    assert signed == ["/oauth/initiate", "/oauth/token", "/api/account"]
    header = oauth_params(oauth1_api.api_calls()[-1].headers["Authorization"])
    assert header["oauth_signature_method"] == "PLAINTEXT"
    assert header["oauth_signature"] == plaintext(oauth1_api.client_secret, stored["token_secret"])


def test_test_connection_works_for_a_three_legged_oauth1_account(oauth1_api, admin_client):
    client, admin = admin_client
    client.get(path_of(consent(start(client))))
    connection = ProviderConnection.objects.get(org=admin.org)

    page = messages_on(client.post(reverse("connection_test", args=[connection.pk]), follow=True))

    assert "Legal works: signed in as Platform Test Account." in page
    assert all(accepted for _, accepted in oauth1_api.plaintext_checks)
    assert len(oauth1_api.api_calls()) == 2


def test_a_tampered_verifier_connects_nothing(oauth1_api, admin_client):
    client, _ = admin_client
    callback = consent(start(client)).replace("oauth_verifier=", "oauth_verifier=forged")

    page = messages_on(client.get(path_of(callback), follow=True))

    assert "Oauth One Sign refused the authorization (401); connect the account again." in page
    assert not ProviderConnection.objects.exists()


def test_a_tampered_oauth_token_connects_nothing(oauth1_api, admin_client):
    client, _ = admin_client
    callback = consent(start(client)).replace("oauth_token=", "oauth_token=forged")

    page = messages_on(client.get(path_of(callback), follow=True))

    assert "This authorization link is not valid any more" in page
    assert not ProviderConnection.objects.exists()
    assert oauth1_api.calls_to("/oauth/token") == []  # refused before asking the service


def test_a_reused_callback_connects_once(oauth1_api, admin_client):
    client, _ = admin_client
    callback = consent(start(client))
    client.get(path_of(callback))

    again = messages_on(client.get(path_of(callback), follow=True))

    assert "This authorization link is not valid any more" in again
    assert ProviderConnection.objects.count() == 1


def test_a_callback_in_another_organization_connects_nothing(oauth1_api, admin_client, make_member):
    client, admin = admin_client
    callback = consent(start(client))
    other = make_member(role=Role.ADMIN, user=admin.user)
    session = client.session
    session["paraph_org_id"] = other.org_id
    session.save()

    page = messages_on(client.get(path_of(callback), follow=True))

    assert "This authorization was started for another organization" in page
    assert not ProviderConnection.objects.exists()


def test_a_refused_consent_connects_nothing(oauth1_api, admin_client):
    client, _ = admin_client
    oauth1_api.deny = True

    page = messages_on(client.get(path_of(consent(start(client))), follow=True))

    assert "Oauth One Sign did not grant access; nothing was connected." in page
    assert not ProviderConnection.objects.exists()


def paste(client, fields: dict, label: str = "Personal"):
    url = reverse("connection_paste", args=["oauth1paste"])
    return client.post(url, {"label": label, **fields}, follow=True)


def test_pasted_personal_credentials_connect_and_sign_every_call(oauth1_api, admin_client):
    client, admin = admin_client
    personal = oauth1_api.personal_credentials()

    page = messages_on(paste(client, personal))

    assert "Connected Personal (Platform Test Account)." in page
    connection = ProviderConnection.objects.get(org=admin.org, provider="oauth1paste")
    assert connection.credentials == personal
    tested = messages_on(client.post(reverse("connection_test", args=[connection.pk]), follow=True))
    assert "Personal works: signed in as Platform Test Account." in tested
    for call in oauth1_api.api_calls():
        header = oauth_params(call.headers["Authorization"])
        assert header["oauth_consumer_key"] == personal["client_key"]
        assert header["oauth_signature"] == plaintext(personal["client_secret"], personal["token_secret"])
    assert [accepted for _, accepted in oauth1_api.plaintext_checks] == [True, True]


def test_refused_personal_credentials_store_nothing_and_say_why(oauth1_api, admin_client):
    client, _ = admin_client
    wrong = {**oauth1_api.personal_credentials(), "token_secret": "not-the-secret"}

    page = messages_on(paste(client, wrong))

    assert "Personal Oauth Sign refused the connection:" in page
    assert "reconnect the account" in page
    assert not ProviderConnection.objects.exists()


def test_incomplete_personal_credentials_are_refused_before_any_call(oauth1_api, admin_client):
    client, _ = admin_client
    partial = {**oauth1_api.personal_credentials(), "token_secret": " "}

    page = messages_on(paste(client, partial))

    assert "Fill in Token secret." in page
    assert not ProviderConnection.objects.exists() and oauth1_api.calls == []


def test_a_401_on_an_api_call_marks_the_connection_needs_reconnect_without_a_refresh(oauth1_api, admin_client):
    client, admin = admin_client
    personal = oauth1_api.personal_credentials()
    paste(client, personal)
    connection = ProviderConnection.objects.get(org=admin.org)
    oauth1_api.revoke(personal["token_key"])
    before = len(oauth1_api.calls)

    with pytest.raises(AuthExpired):
        adapter_for("oauth1paste", connection).fetch("env-1")

    assert len(oauth1_api.calls) == before + 1  # one refused call; nothing to refresh, no retry
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_RECONNECT
    assert connection.last_error == "The Personal credentials were refused; reconnect the account."
    with pytest.raises(AuthExpired):
        adapter_for("oauth1paste", connection).fetch("env-1")
    assert len(oauth1_api.calls) == before + 1  # a connection needing reconnect is not used


def test_the_connection_screen_lets_connect_post_on_to_the_oauth1_consent_page(oauth1_api, admin_client):
    client, _ = admin_client

    response = client.get(reverse("connection_list"))

    assert "Connect Oauth One Sign account" in response.content.decode()
    assert oauth1_api.url in response["Content-Security-Policy"]
