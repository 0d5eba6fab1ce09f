"""Webhook intake through the real URLs, for every verification scheme and URL shape: what is
accepted is stored once per connection and event id and applied by re-reading the envelope; what
is refused is answered 401 and leaves nothing behind."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.urls import reverse
from joserfc import jws
from joserfc.jwk import RSAKey

from envelopes.models import EnvelopeEvent, ParticipantStatus
from providers.models import DeliveryStatus, WebhookDelivery
from tests.providers.platform.conftest import event, webhook_body

SECRET = "whsec-platform-test-secret"


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """Delivers a webhook as the service does; the apply task runs once the delivery commits."""

    def deliver(path: str, body: bytes, headers: dict | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data=body, content_type="application/json", headers=headers or {})

    return deliver


@pytest.fixture
def account(sign_api, make_connection, make_sent_envelope):
    """A connection of `provider_id` with one envelope ("env-1") out for signature; the service
    says its first participant signed."""

    def make(provider_id: str, *, remote_id: str = "env-1", org=None, webhook_secret: str = SECRET):
        connection = make_connection(
            provider_id, org=org, credentials={"api_token": sign_api.issue_token()}, webhook_secret=webhook_secret
        )
        envelope = make_sent_envelope(connection, remote_id)
        sign_api.remote_envelope(remote_id, **{f"{remote_id}-p1": "signed", f"{remote_id}-p2": "invited"})
        return connection, envelope

    return make


def url(connection) -> str:
    return reverse("provider_webhook", args=[connection.provider, connection.pk])


def statuses(envelope) -> list[str]:
    return list(envelope.participants.order_by("remote_id").values_list("status", flat=True))


def hmac_headers(body: bytes, *, secret: str = SECRET, at: int | None = None) -> dict:
    timestamp = str(at if at is not None else int(time.time()))
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Platform-Timestamp": timestamp, "X-Platform-Signature": signature}


# --- HMAC --------------------------------------------------------------------------------------


def test_an_hmac_signed_delivery_is_stored_and_applied(account, post):
    connection, envelope = account("hmacsign")
    body = webhook_body(event("env-1", participant="env-1-p1"))

    response = post(url(connection), body, hmac_headers(body))

    assert response.status_code == 200 and response.json() == {"received": 1, "new": 1}
    delivery = WebhookDelivery.objects.get()
    assert (delivery.connection, delivery.status, delivery.verified) == (connection, DeliveryStatus.PROCESSED, True)
    assert statuses(envelope) == [ParticipantStatus.SIGNED, ParticipantStatus.INVITED]


@pytest.mark.parametrize(
    "tamper, said",
    [
        (lambda body: hmac_headers(body, secret="another-secret"), "signature does not match"),
        (lambda body: hmac_headers(body + b" "), "signature does not match"),
        (lambda body: hmac_headers(body, at=int(time.time()) - 600), "too old or in the future"),
        (lambda body: {"X-Platform-Timestamp": str(int(time.time()))}, "carries no signature"),
    ],
    ids=["wrong-secret", "other-body", "stale-timestamp", "unsigned"],
)
def test_an_hmac_delivery_that_does_not_verify_is_refused_and_not_stored(account, post, sign_api, tamper, said):
    connection, envelope = account("hmacsign")
    body = webhook_body(event("env-1", participant="env-1-p1"))

    response = post(url(connection), body, tamper(body))

    assert response.status_code == 401 and said in response.content.decode()
    assert not WebhookDelivery.objects.exists()
    assert statuses(envelope) == [ParticipantStatus.INVITED, ParticipantStatus.INVITED]
    assert sign_api.api_calls() == []


def test_kept_headers_are_stored_and_the_signature_only_as_redacted(account, post):
    connection, _ = account("hmacsign")
    body = webhook_body(event("env-1"))
    headers = {**hmac_headers(body), "User-Agent": "PlatformHooks/2", "X-Request-Id": "abc"}

    post(url(connection), body, headers)

    stored = WebhookDelivery.objects.get().headers
    assert stored == {
        "Content-Type": "application/json",
        "User-Agent": "PlatformHooks/2",
        "X-Platform-Timestamp": headers["X-Platform-Timestamp"],
        "X-Platform-Signature": "[redacted]",
    }
    assert headers["X-Platform-Signature"] not in json.dumps(stored)


# --- JWS ---------------------------------------------------------------------------------------


def jws_delivery(sign_api, body: bytes, kid: str, **options) -> dict:
    return {"X-Platform-JWS": sign_api.sign_detached(body, kid, **options)}


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_jws_signed_delivery_is_stored_and_applied(account, post, sign_api):
    connection, envelope = account("jwssign")
    kid = sign_api.new_signing_key()
    body = webhook_body(event("env-1", participant="env-1-p1"))

    response = post(url(connection), body, jws_delivery(sign_api, body, kid))

    assert response.status_code == 200 and response.json()["new"] == 1
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PROCESSED
    assert statuses(envelope)[0] == ParticipantStatus.SIGNED
    assert WebhookDelivery.objects.get().headers["X-Platform-JWS"] == "[redacted]"


def hs256_detached(body: bytes, kid: str, *, secret: bytes) -> str:
    """The classic forgery: HMAC with the published public key as the secret."""
    head = b64({"alg": "HS256", "kid": kid})
    payload = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
    mac = hmac.new(secret, f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}..{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _forged_signatures(sign_api, body: bytes, kid: str) -> dict[str, str]:
    published = sign_api.signing_keys[kid]
    unpublished = RSAKey.generate_key(2048)
    public_pem = published.as_pem(private=False)
    return {
        "other-body": sign_api.sign_detached(body + b" ", kid),
        "unknown-kid": sign_api.sign_detached(body, "kid-never-published", key=unpublished),
        "published-kid-wrong-key": sign_api.sign_detached(body, kid, key=unpublished),
        "alg-none": f"{b64({'alg': 'none', 'kid': kid})}..",
        "hs256-with-public-key": hs256_detached(body, kid, secret=public_pem),
        "not-detached": jws.serialize_compact({"alg": "RS256", "kid": kid}, body, published, algorithms=["RS256"]),
        "missing": "",
    }


@pytest.mark.parametrize(
    "forgery, said",
    [
        ("other-body", "signature does not verify"),
        ("unknown-kid", "a key the provider does not publish"),
        ("published-kid-wrong-key", "signature does not verify"),
        ("alg-none", "an algorithm Paraph does not accept"),
        ("hs256-with-public-key", "an algorithm Paraph does not accept"),
        ("not-detached", "not a detached JWS"),
        ("missing", "not a detached JWS"),
    ],
)
def test_a_jws_delivery_that_does_not_verify_is_refused_and_not_stored(account, post, sign_api, forgery, said):
    connection, envelope = account("jwssign")
    kid = sign_api.new_signing_key()
    body = webhook_body(event("env-1", participant="env-1-p1"))
    signature = _forged_signatures(sign_api, body, kid)[forgery]

    response = post(url(connection), body, {"X-Platform-JWS": signature})

    assert response.status_code == 401 and said in response.content.decode()
    assert not WebhookDelivery.objects.exists()
    assert statuses(envelope) == [ParticipantStatus.INVITED, ParticipantStatus.INVITED]


def test_the_jws_key_is_fetched_once_for_many_deliveries(account, post, sign_api):
    connection, _ = account("jwssign")
    kid = sign_api.new_signing_key()

    for n in range(4):
        body = webhook_body(event("env-1", kind="participant.opened", participant="env-1-p2"))
        assert post(url(connection), body, jws_delivery(sign_api, body, kid)).status_code == 200

    assert WebhookDelivery.objects.count() == 4
    assert [call.path for call in sign_api.calls_to("/keys/")] == [f"/keys/{kid}"]


def test_an_unknown_kid_is_asked_for_once_not_on_every_forged_delivery(account, post, sign_api):
    connection, _ = account("jwssign")
    stranger = RSAKey.generate_key(2048)

    for n in range(3):
        body = webhook_body(event("env-1"))
        signature = sign_api.sign_detached(body, "kid-made-up", key=stranger)
        assert post(url(connection), body, {"X-Platform-JWS": signature}).status_code == 401

    assert len(sign_api.calls_to("/keys/")) == 1


# --- Secret in the URL ------------------------------------------------------------------------


def test_a_delivery_to_the_url_with_the_right_secret_is_accepted(account, post):
    connection, envelope = account("secreturlsign")
    body = webhook_body(event("env-1", participant="env-1-p1"))

    response = post(reverse("provider_webhook_secret", args=["secreturlsign", connection.pk, SECRET]), body)

    assert response.status_code == 200 and response.json()["new"] == 1
    assert statuses(envelope)[0] == ParticipantStatus.SIGNED


@pytest.mark.parametrize("secret", ["wrong-secret", SECRET[:-1], None], ids=["wrong", "truncated", "missing"])
def test_a_delivery_without_the_urls_secret_is_refused(account, post, secret):
    connection, envelope = account("secreturlsign")
    body = webhook_body(event("env-1", participant="env-1-p1"))
    if secret is None:
        path = url(connection)
    else:
        path = reverse("provider_webhook_secret", args=["secreturlsign", connection.pk, secret])

    response = post(path, body)

    assert response.status_code in (401, 404)
    assert not WebhookDelivery.objects.exists()
    assert statuses(envelope)[0] == ParticipantStatus.INVITED


def test_a_secret_in_the_url_of_a_signing_provider_is_refused(account, post):
    connection, _ = account("hmacsign")
    body = webhook_body(event("env-1"))

    response = post(
        reverse("provider_webhook_secret", args=["hmacsign", connection.pk, SECRET]), body, hmac_headers(body)
    )

    assert response.status_code == 401 and not WebhookDelivery.objects.exists()


# --- No verification: hints only --------------------------------------------------------------


def test_an_unsigned_delivery_is_only_a_hint_and_the_envelope_is_re_read(account, post, sign_api):
    connection, envelope = account("hintsign")
    sign_api.remote_envelope("env-1", **{"env-1-p1": "opened", "env-1-p2": "invited"})
    claims = [event("env-1", participant="env-1-p1"), event("env-1", kind="envelope.completed")]

    response = post(url(connection), webhook_body(*claims))

    assert response.status_code == 200 and response.json() == {"received": 2, "new": 2}
    envelope.refresh_from_db()
    assert envelope.status == "sent"  # what the service says, not what the body claims
    assert statuses(envelope) == [ParticipantStatus.OPENED, ParticipantStatus.INVITED]
    assert [c.path for c in sign_api.api_calls()] == ["/api/envelopes/env-1"] * 2


# --- URL shapes and deduplication --------------------------------------------------------------


def test_a_delivery_to_the_providers_one_url_is_matched_to_the_envelope_by_remote_id(account, post, sign_api):
    first, first_envelope = account("sharedsign", remote_id="env-a")
    second, second_envelope = account("sharedsign", remote_id="env-b")
    body = webhook_body(event("env-b", participant="env-b-p1"))

    response = post(reverse("provider_webhook_shared", args=["sharedsign"]), body)

    assert response.status_code == 200 and response.json()["new"] == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.connection, delivery.scope, delivery.status) == (None, "provider", DeliveryStatus.PROCESSED)
    assert statuses(second_envelope)[0] == ParticipantStatus.SIGNED
    assert statuses(first_envelope)[0] == ParticipantStatus.INVITED
    # The envelope is re-read with its own connection's access.
    assert sign_api.api_calls()[-1].headers["Authorization"] == f"Bearer {second.credentials['api_token']}"


def test_a_per_connection_url_is_unknown_for_a_provider_with_one_url(account, post):
    connection, _ = account("sharedsign")

    response = post(url(connection), webhook_body(event("env-1")))

    assert response.status_code == 404 and not WebhookDelivery.objects.exists()


def test_the_same_event_sent_to_two_connections_is_stored_and_applied_for_each(account, post):
    first, first_envelope = account("hintsign", remote_id="env-same")
    second, second_envelope = account("hintsign", remote_id="env-same")
    body = webhook_body(event("env-same", participant="env-same-p1", event_id="evt-shared"))

    for connection in (first, second):
        assert post(url(connection), body).json() == {"received": 1, "new": 1}

    deliveries = WebhookDelivery.objects.order_by("pk")
    assert [(d.connection, d.event_id, d.status) for d in deliveries] == [
        (first, "evt-shared", DeliveryStatus.PROCESSED),
        (second, "evt-shared", DeliveryStatus.PROCESSED),
    ]
    assert statuses(first_envelope)[0] == statuses(second_envelope)[0] == ParticipantStatus.SIGNED


def test_a_replayed_event_to_the_same_connection_is_stored_once(account, post, sign_api):
    connection, _ = account("hintsign")
    body = webhook_body(event("env-1", participant="env-1-p1", event_id="evt-again"))

    assert post(url(connection), body).json() == {"received": 1, "new": 1}
    assert post(url(connection), body).json() == {"received": 1, "new": 0}

    assert WebhookDelivery.objects.get().attempts == 1
    assert len(sign_api.api_calls()) == 1  # applied (re-read) once


def test_a_delivery_with_several_events_applies_each_once(account, post, sign_api):
    connection, first = account("hintsign", remote_id="env-1")
    body = webhook_body(
        event("env-1", participant="env-1-p1"),
        event("env-1", kind="participant.opened", participant="env-1-p2"),
        event("env-unknown", participant="x"),
    )
    sign_api.remote_envelope("env-1", **{"env-1-p1": "signed", "env-1-p2": "opened"})

    assert post(url(connection), body).json() == {"received": 3, "new": 3}
    assert post(url(connection), body).json() == {"received": 3, "new": 0}

    outcomes = sorted(WebhookDelivery.objects.values_list("status", "attempts"))
    assert outcomes == [("ignored", 1), ("processed", 1), ("processed", 1)]  # not Paraph's: ignored
    assert statuses(first) == [ParticipantStatus.SIGNED, ParticipantStatus.OPENED]
    recorded = EnvelopeEvent.objects.filter(envelope=first, kind__in=["participant.signed", "participant.opened"])
    assert sorted(recorded.values_list("kind", flat=True)) == ["participant.opened", "participant.signed"]


def test_a_key_server_outage_asks_the_provider_to_retry_and_stores_nothing(account, post, sign_api):
    connection, envelope = account("jwssign")
    kid = sign_api.new_signing_key()
    body = webhook_body(event("env-1", participant="env-1-p1"))
    sign_api.keys_down = True

    response = post(url(connection), body, jws_delivery(sign_api, body, kid))

    assert response.status_code == 503 and "Jws Sign had a problem (500)" in response.content.decode()
    assert response["Retry-After"] == "60"
    assert not WebhookDelivery.objects.exists()
    sign_api.keys_down = False  # the provider retries once its key server is back
    assert post(url(connection), body, jws_delivery(sign_api, body, kid)).status_code == 200
    assert statuses(envelope)[0] == ParticipantStatus.SIGNED
