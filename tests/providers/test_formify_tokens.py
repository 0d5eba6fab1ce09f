"""Formify's token endpoint: only a refused grant costs the connection. A server error, a rate
limit (which the reference promises) or a page that is not JSON is a transient error, and the
connection stays connected."""

from __future__ import annotations

import pytest
from django.urls import reverse

from envelopes.models import Envelope
from envelopes.outgoing.sending import provider_for
from providers import http
from providers.base import AuthExpired, ProviderError
from providers.formify.provider import FormifyProvider
from providers.models import ProviderConnection
from providers.oauth import code_exchange, token_refresh
from providers.tokens import tokens_refresh_expiring
from tests.providers.conftest import path_of

TOKEN = r"/v1/oauth/token$"


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF", 0.01)


def _fetch_with_expired_token(formify, envelope):
    formify.fake.expire_access_tokens()
    return provider_for(Envelope.objects.get(pk=envelope.pk)).fetch(envelope.remote_id)


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500},
        {"status": 503, "body": {"error": "server_error", "message": "Down for maintenance"}},
        {"status": 502, "body": "<html><body>Bad gateway</body></html>", "content_type": "text/html"},
        {"status": 200, "body": "<html><body>Sign in to the proxy</body></html>", "content_type": "text/html"},
        {"status": 400, "body": "<html><body>Bad request</body></html>", "content_type": "text/html"},
        {"status": 403, "body": {"error": "forbidden", "message": "Blocked"}},
        {"status": 200, "body": {"token_type": "Bearer"}},
    ],
    ids=["500", "503-json", "502-html", "200-html", "400-html", "403", "200-without-token"],
)
def test_a_failed_refresh_that_is_not_a_refusal_keeps_the_connection(formify, formify_envelope, fault):
    envelope = formify_envelope()
    formify.fake.fail_next("POST", TOKEN, **fault)
    with pytest.raises(ProviderError) as raised:
        _fetch_with_expired_token(formify, envelope)
    assert not isinstance(raised.value, AuthExpired)
    assert not raised.value.permanent
    assert "Formify did not issue a token just now" in raised.value.message
    assert ProviderConnection.objects.get().status == "connected"
    # Formify is back: the next call refreshes and goes through.
    assert provider_for(Envelope.objects.get(pk=envelope.pk)).fetch(envelope.remote_id).status == "sent"


def test_a_rate_limited_refresh_waits_for_the_reset_and_keeps_the_connection(formify, formify_envelope):
    envelope = formify_envelope()
    formify.fake.fail_next("POST", TOKEN, status=429, headers={"X-RateLimit-Reset": "90"})
    with pytest.raises(ProviderError) as raised:
        _fetch_with_expired_token(formify, envelope)
    assert not isinstance(raised.value, AuthExpired)
    assert raised.value.retry_after == 90
    assert ProviderConnection.objects.get().status == "connected"


@pytest.mark.parametrize("error", ["invalid_grant", "invalid_client", "unauthorized_client"])
def test_a_refused_refresh_asks_for_a_reconnect(formify, formify_envelope, error):
    envelope = formify_envelope()
    formify.fake.fail_next("POST", TOKEN, status=400, body={"error": error, "error_description": "No."})
    with pytest.raises(AuthExpired):
        _fetch_with_expired_token(formify, envelope)
    assert ProviderConnection.objects.get().status == "needs_reconnect"


def test_the_renewal_sweep_counts_an_outage_as_a_failure_but_keeps_the_connection(formify):
    formify.fake.fail_next("POST", TOKEN, status=503)
    connection = ProviderConnection.objects.get()
    ProviderConnection.objects.filter(pk=connection.pk).update(expires_at=connection.created_at)  # due
    assert tokens_refresh_expiring() == (0, 1)
    connection.refresh_from_db()
    assert connection.status == "connected" and "(503)" in connection.last_error
    assert tokens_refresh_expiring() == (1, 0)


def test_token_refresh_refused_by_the_token_endpoint_is_auth_expired(formify):
    client = FormifyProvider.oauth_client()
    with pytest.raises(AuthExpired, match="invalid_grant"):
        token_refresh(client, "not-a-refresh-token")


@pytest.mark.parametrize("status", [500, 429])
def test_a_code_exchange_during_an_outage_is_a_transient_error(fake_formify, member_client, status):
    from portal.models import Role

    client, _ = member_client(role=Role.ADMIN)
    response = client.post(reverse("connection_connect", args=["formify"]), {"label": "Formify"})
    callback = fake_formify.consent(response["Location"])
    fake_formify.fail_next("POST", TOKEN, status=status)
    page = client.get(path_of(callback), follow=True).content.decode()
    assert not ProviderConnection.objects.exists()
    assert "Formify" in page and ("did not issue a token" in page or "limiting" in page)


def test_code_exchange_raises_only_provider_errors(fake_formify):
    client = FormifyProvider.oauth_client()
    fake_formify.answer_html_next("POST", TOKEN, status=502)
    with pytest.raises(ProviderError) as raised:
        code_exchange(client, code="whatever", redirect_uri="http://testserver/cb", code_verifier="")
    assert not isinstance(raised.value, AuthExpired)
    with pytest.raises(AuthExpired):  # the code itself is refused
        code_exchange(client, code="whatever", redirect_uri="http://testserver/cb", code_verifier="")
