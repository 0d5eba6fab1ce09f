"""The connection screens and the OAuth dance around them."""

from __future__ import annotations

from django.core.management import call_command
from django.urls import reverse

from envelopes.composing.participants import participant_add
from envelopes.forms import EnvelopeSettingsForm
from envelopes.outgoing.sending import send_problems
from envelopes.services import envelope_create
from portal.models import Role
from providers.models import ConnectionStatus, ProviderConnection
from tests.providers.conftest import path_of


def _start(client, label="Sales") -> str:
    return client.post(reverse("connection_connect", args=["formify"]), {"label": label})["Location"]


def test_a_provider_not_enabled_here_is_listed_with_what_enables_it(member_client, settings):
    settings.FORMIFY_CLIENT_ID = ""
    client, _ = member_client(role=Role.ADMIN)
    page = client.get(reverse("connection_list")).content.decode()
    assert "Paraph signing" in page and "Formify is not enabled on this installation" in page
    assert "<code>FORMIFY_CLIENT_ID</code>" in page and "/connections/formify/callback/" in page
    assert "Connect Formify account" not in page
    response = client.post(reverse("connection_connect", args=["formify"]), {"label": "x"}, follow=True)
    assert "not available on this installation" in response.content.decode()
    viewer, _ = member_client(role=Role.VIEWER)
    seen_by_viewer = viewer.get(reverse("connection_list")).content.decode()
    assert "not enabled on this installation" in seen_by_viewer and "FORMIFY_CLIENT_ID" not in seen_by_viewer


def test_the_consent_url_carries_state_and_pkce_inside_formifys_fragment(fake_formify, member_client):
    client, _ = member_client(role=Role.ADMIN)
    url = _start(client)
    assert url.startswith(fake_formify.authorize_url + "?")
    for part in (
        "client_id=paraph-test-client",
        "response_type=code",
        "scope=read%2Cwrite",
        "state=",
        "code_challenge=",
    ):
        assert part in url
    assert "code_challenge_method=S256" in url
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Fconnections%2Fformify%2Fcallback%2F" in url


def test_a_callback_with_an_unknown_or_reused_state_connects_nothing(fake_formify, member_client):
    client, _ = member_client(role=Role.ADMIN)
    callback = fake_formify.consent(_start(client))
    forged = callback.replace("state=", "state=x")
    page = client.get(path_of(forged), follow=True).content.decode()
    assert "not valid any more" in page
    assert client.get(path_of(callback), follow=True).status_code == 200
    assert ProviderConnection.objects.count() == 1
    again = client.get(path_of(callback), follow=True).content.decode()  # the same state, used twice
    assert "not valid any more" in again
    assert ProviderConnection.objects.count() == 1


def test_a_callback_in_another_organization_connects_nothing(fake_formify, member_client, make_member):
    client, admin = member_client(role=Role.ADMIN)
    callback = fake_formify.consent(_start(client))
    other = make_member(role=Role.ADMIN, user=admin.user)
    session = client.session
    session["paraph_org_id"] = other.org_id
    session.save()
    page = client.get(path_of(callback), follow=True).content.decode()
    assert "started for another organization" in page
    assert not ProviderConnection.objects.exists()


def test_a_refused_consent_connects_nothing_and_says_so(fake_formify, member_client):
    client, _ = member_client(role=Role.ADMIN)
    fake_formify.deny_consent = True
    page = client.get(path_of(fake_formify.consent(_start(client))), follow=True).content.decode()
    assert "did not grant access (access_denied)" in page
    assert not ProviderConnection.objects.exists()


def test_senders_and_viewers_see_the_state_but_cannot_connect(formify, member_client):
    client, _ = member_client(role=Role.SENDER, org=formify.org)
    page = client.get(reverse("connection_list")).content.decode()
    assert "Formify — Sales" in page and "Connected" in page and "Disconnect" not in page
    assert client.post(reverse("connection_connect", args=["formify"]), {"label": "x"}).status_code == 403
    assert client.post(reverse("connection_disconnect", args=[formify.connection.pk])).status_code == 403


def test_two_accounts_can_be_connected_and_both_are_offered_when_sending(formify, connect_formify):
    second, _, _ = connect_formify(label="Formify — Legal", client=formify.client, admin=formify.admin)
    assert second.pk != formify.connection.pk
    envelope = envelope_create(org=formify.org, actor=formify.admin.user)
    labels = [label for _, label in EnvelopeSettingsForm(instance=envelope).fields["provider"].choices]
    assert labels[1:] == ["Paraph signing", "Formify — Formify — Legal", "Formify — Formify — Sales"]


def _choose(client, envelope, send_with: str):
    """Saves the compose page's settings with "Send with" set to `send_with`."""
    settings = {"title": "Lease", "provider": send_with, "language": "en"}
    reminders = {"reminder_first_after_days": 3, "reminder_every_days": 3, "reminder_max": 3}
    return client.post(reverse("envelope_settings", args=[envelope.pk]), {**settings, **reminders})


def test_choosing_a_connection_on_compose_records_it_on_the_envelope(formify):
    envelope = envelope_create(org=formify.org, actor=formify.admin.user)
    response = _choose(formify.client, envelope, f"formify:{formify.connection.pk}")
    assert response.status_code in (200, 302)
    envelope.refresh_from_db()
    assert (envelope.provider, envelope.connection_id) == ("formify", formify.connection.pk)


def test_another_organizations_connection_cannot_be_chosen(formify, member_client):
    client, member = member_client(role=Role.SENDER)
    envelope = envelope_create(org=member.org, actor=member.user)
    response = _choose(client, envelope, f"formify:{formify.connection.pk}")
    assert response.status_code == 400
    envelope.refresh_from_db()
    assert envelope.connection is None


def test_an_envelope_through_a_connection_needing_reconnect_cannot_be_sent(formify, make_document):
    envelope = envelope_create(
        org=formify.org, actor=formify.admin.user, provider="formify", connection=formify.connection
    )
    make_document(envelope)
    participant_add(envelope=envelope, name="Ada", email="ada@example.com")
    assert send_problems(envelope) == []
    ProviderConnection.objects.update(status=ConnectionStatus.NEEDS_RECONNECT)
    envelope.refresh_from_db()
    assert send_problems(envelope) == [
        "The Formify — Sales connection needs reconnecting; an admin can do it on the Connections page."
    ]


def test_reconnecting_repairs_the_same_connection(formify):
    ProviderConnection.objects.update(status=ConnectionStatus.NEEDS_RECONNECT, last_error="refused")
    page = formify.client.get(reverse("connection_list")).content.decode()
    assert "Reconnect" in page and "needs reconnecting" in page
    response = formify.client.post(
        reverse("connection_connect", args=["formify"]), {"reconnect": formify.connection.pk}
    )
    formify.client.get(path_of(formify.fake.consent(response["Location"])))
    connection = ProviderConnection.objects.get()
    assert (connection.pk, connection.status, connection.last_error) == (formify.connection.pk, "connected", "")
    assert len(formify.fake.webhooks) == 1  # the old webhook was replaced, not doubled
    assert "needs reconnecting" not in formify.client.get(reverse("dashboard")).content.decode()


def test_test_button_calls_formify(formify):
    page = formify.client.post(reverse("connection_test", args=[formify.connection.pk]), follow=True).content.decode()
    assert f"works: signed in as {formify.fake.account['accountName']}" in page
    assert formify.fake.requests[-1].path == "/v1/user"


def test_rename(formify):
    formify.client.post(reverse("connection_rename", args=[formify.connection.pk]), {"label": "Legal team"})
    assert ProviderConnection.objects.get().label == "Legal team"


def test_disconnect_removes_the_webhook_revokes_the_tokens_and_keeps_the_envelopes(formify, formify_envelope):
    envelope = formify_envelope()
    refresh = formify.connection.credentials["refresh_token"]
    page = formify.client.post(reverse("connection_disconnect", args=[formify.connection.pk]), follow=True)
    assert "Disconnected Formify — Sales. Its envelopes are kept." in page.content.decode()
    assert formify.fake.webhooks == {}
    revoked = [r for r in formify.fake.requests if r.path == "/v1/oauth/revoke"]
    assert any(refresh.encode() in r.body for r in revoked)
    connection = ProviderConnection.objects.get()
    assert (connection.status, connection.credentials, connection.webhook_secret) == ("disabled", {}, "")
    envelope.refresh_from_db()
    assert envelope.connection_id == connection.pk
    assert f'id="connection-{connection.pk}"' not in formify.client.get(reverse("connection_list")).content.decode()


def test_reencrypt_secrets_moves_every_secret_to_the_newest_key(formify, settings):
    from cryptography.fernet import Fernet

    connection = ProviderConnection.objects.get()
    before = (connection.credentials, connection.webhook_secret)
    old_cipher = bytes(connection.credentials_encrypted)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    call_command("reencrypt_secrets")
    connection.refresh_from_db()
    assert bytes(connection.credentials_encrypted) != old_cipher
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # the old key is gone
    connection.refresh_from_db()
    assert (connection.credentials, connection.webhook_secret) == before
