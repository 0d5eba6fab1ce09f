"""Formify misbehaving: server errors, timeouts, rate limits, expired and revoked tokens, a send
interrupted halfway. Each is named for what the user (or the envelope) sees."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from envelopes.models import Envelope
from envelopes.outgoing.sending import envelope_deliver, provider_for
from providers import http
from providers.base import AuthExpired, ProviderError
from providers.models import ProviderConnection
from providers.tokens import tokens_refresh_expiring


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF", 0.01)
    monkeypatch.setattr(http, "TIMEOUT", (2, 0.5))


def _posts(fake, path: str) -> int:
    return sum(1 for r in fake.requests if r.method == "POST" and r.path == path)


def test_a_server_error_on_a_read_is_retried_in_place(formify, formify_envelope):
    envelope = formify_envelope()
    formify.fake.fail_next("GET", r"/v1/docs/[^/]+$", status=502, times=2)
    snapshot = provider_for(envelope).fetch(envelope.remote_id)
    assert snapshot.status == "sent"


def test_a_server_error_on_create_puts_the_envelope_back_in_the_queue_and_the_retry_sends_once(
    formify, formify_envelope
):
    fake = formify.fake
    fake.fail_next("POST", r"/v1/docs$", status=500)
    envelope = formify_envelope()
    assert envelope.status == "queued"
    assert "Formify had a problem (500)" in envelope.last_error
    assert Schedule.objects.filter(func="envelopes.tasks.send_envelope", args=str(envelope.pk)).exists()
    assert envelope_deliver(envelope_id=envelope.pk) == "sent"
    assert len(fake.documents) == 1
    assert _posts(fake, "/v1/files") == 1  # the uploaded file was reused from the checkpoint


def test_a_create_whose_answer_is_lost_is_found_instead_of_made_twice(formify, formify_envelope):
    fake = formify.fake
    fake.fail_next("POST", r"/v1/docs$", status=None, delay=1.0)  # takes effect, but too late
    envelope = formify_envelope()
    assert envelope.status == "queued"
    assert "did not answer in time" in envelope.last_error
    time.sleep(1.2)  # the fake finishes creating the document
    assert envelope_deliver(envelope_id=envelope.pk) == "sent"
    envelope.refresh_from_db()
    assert len(fake.documents) == 1
    assert envelope.remote_id in fake.documents


def test_a_worker_dying_between_upload_and_create_resumes_without_a_second_upload(
    formify, formify_envelope, monkeypatch
):
    from providers.formify import documents

    real_body = documents.request_body

    def die(*args, **kwargs):
        raise SystemExit("worker killed")  # not an Exception: nothing in the send path catches it

    monkeypatch.setattr(documents, "request_body", die)
    with pytest.raises(SystemExit):
        formify_envelope()
    envelope = Envelope.objects.get()
    assert envelope.status == "sending"
    assert envelope.remote_state["checkpoint"]["files"]
    monkeypatch.setattr(documents, "request_body", real_body)
    # The next run after the task timeout takes the abandoned send over.
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.Q_CLUSTER["timeout"] + 120)):
        assert envelope_deliver(envelope_id=envelope.pk) == "sent"
    assert _posts(formify.fake, "/v1/files") == 1
    assert len(formify.fake.documents) == 1


def test_a_rate_limit_reschedules_the_send_after_the_reset(formify, formify_envelope):
    formify.fake.fail_next("POST", r"/v1/docs$", status=429, headers={"X-RateLimit-Reset": "120"})
    before = timezone.now()
    envelope = formify_envelope()
    assert envelope.status == "queued"
    assert "try again in 2 minutes" in envelope.last_error
    retry = Schedule.objects.get(func="envelopes.tasks.send_envelope", args=str(envelope.pk))
    assert before + timedelta(seconds=115) < retry.next_run < timezone.now() + timedelta(seconds=125)


def test_a_short_rate_limit_on_a_read_is_waited_out(formify, formify_envelope):
    envelope = formify_envelope()
    formify.fake.fail_next("GET", r"/v1/docs/", status=429, headers={"Retry-After": "0.2"})
    assert provider_for(envelope).fetch(envelope.remote_id).status == "sent"


def test_an_expired_access_token_is_refreshed_once_and_the_call_repeated(formify, formify_envelope):
    envelope = formify_envelope()
    old = ProviderConnection.objects.get().credentials["access_token"]
    formify.fake.expire_access_tokens()
    assert provider_for(Envelope.objects.get(pk=envelope.pk)).fetch(envelope.remote_id).status == "sent"
    connection = ProviderConnection.objects.get()
    assert connection.credentials["access_token"] != old
    assert connection.status == "connected"


def test_a_refused_refresh_marks_the_connection_and_admins_see_the_banner(formify, formify_envelope):
    envelope = formify_envelope()
    formify.fake.expire_access_tokens()
    formify.fake.revoke_refresh_tokens()
    with pytest.raises(AuthExpired):
        provider_for(Envelope.objects.get(pk=envelope.pk)).fetch(envelope.remote_id)
    connection = ProviderConnection.objects.get()
    assert connection.status == "needs_reconnect"
    page = formify.client.get(reverse("dashboard")).content.decode()
    assert "needs reconnecting" in page and "Formify — Sales" in page


def test_a_timeout_is_a_transient_error_in_words(formify, formify_envelope):
    envelope = formify_envelope()
    formify.fake.fail_next("GET", r"/v1/docs/", status=None, delay=1.0, times=3)
    with pytest.raises(ProviderError) as raised:
        provider_for(envelope).fetch(envelope.remote_id)
    assert not raised.value.permanent
    assert raised.value.message == "Formify did not answer in time; Paraph will try again."


def test_a_validation_error_is_permanent_and_shows_formifys_message(formify, formify_envelope):
    formify.fake.fail_next(
        "POST", r"/v1/docs$", status=400, body={"error": "validation_error", "message": "fullName is required."}
    )
    envelope = formify_envelope()
    assert envelope.status == "failed"
    assert envelope.last_error == "Formify refused the request: fullName is required."


def test_tokens_about_to_expire_are_renewed_by_the_sweep(formify):
    connection = ProviderConnection.objects.get()
    old = connection.credentials["access_token"]
    ProviderConnection.objects.filter(pk=connection.pk).update(expires_at=timezone.now() + timedelta(minutes=5))
    assert tokens_refresh_expiring() == (1, 0)
    assert tokens_refresh_expiring() == (0, 0)  # a second run has nothing to do
    connection.refresh_from_db()
    assert connection.credentials["access_token"] != old
    assert connection.expires_at > timezone.now() + timedelta(minutes=50)


def test_the_sweep_marks_a_connection_whose_refresh_is_refused(formify):
    formify.fake.revoke_refresh_tokens()
    ProviderConnection.objects.update(expires_at=timezone.now() + timedelta(minutes=5))
    assert tokens_refresh_expiring() == (0, 1)
    assert ProviderConnection.objects.get().status == "needs_reconnect"


def test_no_token_or_secret_reaches_the_logs(formify, formify_envelope, caplog):
    caplog.set_level(logging.DEBUG)
    formify.fake.expire_access_tokens()
    formify_envelope()
    connection = ProviderConnection.objects.get()
    text = caplog.text
    assert "Formify POST /v1/docs" in text  # calls are logged…
    for secret in (connection.credentials["access_token"], connection.credentials["refresh_token"]):
        assert secret not in text  # …their tokens are not
    assert connection.webhook_secret not in text


def _lose_the_create_answer(formify, formify_envelope):
    """Sends an envelope whose POST /docs takes effect at Formify but answers too late."""
    formify.fake.time_out_next("POST", r"/v1/docs$", seconds=1.0)
    envelope = formify_envelope()
    assert envelope.status == "queued" and "did not answer in time" in envelope.last_error
    time.sleep(1.2)  # the fake finishes creating the document
    return envelope


@pytest.mark.parametrize(
    "order,timestamps",
    [("oldest_first", "iso"), ("newest_first", "naive"), ("oldest_first", "epoch"), ("newest_first", "epoch")],
)
def test_a_lost_create_is_found_whatever_the_list_order_and_timestamp_form(
    formify, formify_envelope, order, timestamps
):
    fake = formify.fake
    fake.list_order, fake.timestamp_format = order, timestamps
    # More than a page of other documents with the same title and signers, sent just now.
    others = {fake.add_document("Lease", ["ada@example.com", "ben@example.com"]) for _ in range(60)}
    envelope = _lose_the_create_answer(formify, formify_envelope)
    assert envelope_deliver(envelope_id=envelope.pk) == "sent"
    envelope.refresh_from_db()
    assert fake.document_count() == 61  # exactly one remote document for this envelope
    assert envelope.remote_id not in others and envelope.remote_id in fake.documents
    assert len(fake.requests_to("POST", "/v1/docs")) == 1


def test_a_document_with_the_same_title_and_signers_from_elsewhere_is_not_adopted(formify, formify_envelope):
    fake = formify.fake
    fake.fail_next("POST", r"/v1/docs$", status=502)  # this create never happened
    envelope = formify_envelope()
    elsewhere = fake.add_document("Lease", ["ada@example.com", "ben@example.com"])
    assert envelope_deliver(envelope_id=envelope.pk) == "sent"
    envelope.refresh_from_db()
    assert envelope.remote_id != elsewhere and fake.document_count() == 2


def test_a_lost_create_beyond_what_paraph_can_search_is_not_made_twice(formify, formify_envelope, monkeypatch):
    from providers.formify import provider

    monkeypatch.setattr(provider, "LIST_PAGES", 1)
    fake = formify.fake
    fake.list_order = "oldest_first"
    for _ in range(50):
        fake.add_document("Something else", ["someone@example.com"], age=3600)
    envelope = _lose_the_create_answer(formify, formify_envelope)
    assert envelope_deliver(envelope_id=envelope.pk) == "failed"
    envelope.refresh_from_db()
    assert "Look for it in Formify and revoke it if it is there" in envelope.last_error
    assert fake.document_count() == 51  # no second request went to the signers
