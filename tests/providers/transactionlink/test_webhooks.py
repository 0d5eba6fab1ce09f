"""Webhook deliveries: a detached RS256 JWS whose key TransactionLink publishes by kid."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from joserfc.jwk import RSAKey

from providers.base import WebhookRefused

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def delivery(fake_tl, tl):
    definition = fake_tl.add_definition()
    run = tl.run(tl.create_case({"firstName": "Ada"}), definition)
    return fake_tl.webhook_body(run.id), run


def _head(fake_tl, signature):
    return {"JWS-SIGNATURE": signature, "Content-Type": "application/json"}


def test_a_signed_delivery_verifies_and_names_its_run(fake_tl, tl, delivery):
    body, run = delivery
    tl.webhook_verify(body, _head(fake_tl, fake_tl.sign(body)))
    assert tl.webhook_remote_ids(body) == [run.id]
    assert len(fake_tl.requests_to("GET", f"/auth/webhooks/key/{fake_tl.kid}")) == 1


def test_the_key_is_fetched_once_per_kid_and_a_rotated_key_is_fetched_when_seen(fake_tl, tl, delivery):
    body, _ = delivery
    tl.webhook_verify(body, _head(fake_tl, fake_tl.sign(body)))
    second = body.replace(b"}", b', "n": 2}')
    tl.webhook_verify(second, _head(fake_tl, fake_tl.sign(second)))
    old = fake_tl.kid
    fake_tl.rotate_key()
    third = body.replace(b"}", b', "n": 3}')
    tl.webhook_verify(third, _head(fake_tl, fake_tl.sign(third)))
    assert len(fake_tl.requests_to("GET", f"/auth/webhooks/key/{old}")) == 1
    assert len(fake_tl.requests_to("GET", f"/auth/webhooks/key/{fake_tl.kid}")) == 1


def test_a_forged_signature_is_refused(fake_tl, tl, delivery):
    body, _ = delivery
    forged_key = RSAKey.generate_key(2048, private=True)
    with pytest.raises(WebhookRefused, match="does not verify"):
        tl.webhook_verify(body, _head(fake_tl, fake_tl.sign(body, kid=fake_tl.kid, key=forged_key)))


def test_a_changed_body_is_refused(fake_tl, tl, delivery):
    body, _ = delivery
    signature = fake_tl.sign(body)
    tampered = json.dumps({**json.loads(body), "workflowId": "someone-elses-run"}).encode()
    with pytest.raises(WebhookRefused):
        tl.webhook_verify(tampered, _head(fake_tl, signature))


def test_an_unknown_kid_is_asked_for_once_then_refused(fake_tl, tl, delivery):
    body, _ = delivery
    stranger = RSAKey.generate_key(2048, private=True)
    for _ in range(3):
        with pytest.raises(WebhookRefused, match="does not publish"):
            tl.webhook_verify(body, _head(fake_tl, fake_tl.sign(body, kid="kid-unknown", key=stranger)))
    assert len(fake_tl.requests_to("GET", "/auth/webhooks/key/kid-unknown")) == 1


def test_alg_none_is_refused_before_any_key_is_fetched(fake_tl, tl, delivery):
    body, _ = delivery
    from base64 import urlsafe_b64encode

    head = urlsafe_b64encode(json.dumps({"alg": "none", "kid": fake_tl.kid}).encode()).rstrip(b"=").decode()
    with pytest.raises(WebhookRefused, match="algorithm"):
        tl.webhook_verify(body, _head(fake_tl, f"{head}.."))
    assert not fake_tl.requests_to("GET", f"/auth/webhooks/key/{fake_tl.kid}")


def test_a_replayed_delivery_is_refused(fake_tl, tl, delivery):
    body, _ = delivery
    signature = fake_tl.sign(body)
    tl.webhook_verify(body, _head(fake_tl, signature))
    with pytest.raises(WebhookRefused, match="already received"):
        tl.webhook_verify(body, _head(fake_tl, signature))


def test_a_delivery_without_signature_is_refused(fake_tl, tl, delivery):
    body, _ = delivery
    with pytest.raises(WebhookRefused, match="no JWS-SIGNATURE"):
        tl.webhook_verify(body, {"Content-Type": "application/json"})


def test_the_shared_webhook_url_accepts_a_genuine_delivery_and_refuses_a_forged_one(fake_tl, tl, delivery, client):
    body, _ = delivery
    url = reverse("provider_webhook_shared", args=["transactionlink"])
    genuine = client.post(
        url, data=body, content_type="application/json", headers={"JWS-SIGNATURE": fake_tl.sign(body)}
    )
    assert genuine.status_code == 200
    forged_key = RSAKey.generate_key(2048, private=True)
    forged = client.post(
        url,
        data=body,
        content_type="application/json",
        headers={"JWS-SIGNATURE": fake_tl.sign(body, kid=fake_tl.kid, key=forged_key)},
    )
    assert forged.status_code == 401


def test_the_connection_page_shows_the_url_to_paste_in_transactionlinks_dashboard(tl_connection, client, settings):
    client.force_login(tl_connection.created_by)
    page = client.get(reverse("connection_list")).content.decode()
    assert settings.SITE_URL + reverse("provider_webhook_shared", args=["transactionlink"]) in page


def test_the_fake_reports_each_finished_run_once_and_paraph_accepts_it(fake_tl, tl, client):
    definition = fake_tl.add_definition()
    fake_tl.run_seconds = 30
    run = tl.run(tl.create_case({"firstName": "Ada"}), definition)
    fake_tl.webhook_url = reverse("provider_webhook_shared", args=["transactionlink"])
    fake_tl.webhook_transport = lambda url, body, headers: (
        client.post(
            url, data=body, content_type="application/json", headers={"JWS-SIGNATURE": headers["JWS-SIGNATURE"]}
        ).status_code
    )
    assert fake_tl.deliver_webhooks() == []  # still running: nothing to report
    fake_tl.advance(31)
    assert fake_tl.deliver_webhooks() == [200]
    assert fake_tl.deliver_webhooks() == []  # reported once
    assert tl.status(run.id).status == "COMPLETED"
