"""Accepting invitations: single use, expiring, and only for the invited address."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal.models import Invitation, Membership, Role
from portal.services import invitation_accept, invitation_create, invitation_find
from tests.conftest import PASSWORD


@pytest.fixture
def invite(make_org):
    """Invites an address to a new organization; returns (invitation, link path)."""

    def make(email: str = "invitee@example.com", role: str = Role.SENDER):
        org = make_org(name="Acme")
        owner = Membership.objects.get(org=org, role=Role.OWNER)
        invitation = invitation_create(org=org, email=email, role=role, invited_by=owner)
        path = re.search(r"(/invitations/[\w-]+/)", mail.outbox[-1].body).group(1)
        return invitation, path

    return make


def test_a_new_person_signs_up_from_the_link_and_joins(client, invite):
    invitation, path = invite()
    page = client.get(path).content.decode()
    assert "Join Acme" in page and "Create account" in page
    signup = client.post(
        f"{reverse('account_signup')}?next={path}",
        {"email": "invitee@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert signup["Location"] == path
    response = client.post(path, follow=True)
    assert "Welcome to Acme." in response.content.decode()
    membership = Membership.objects.get(user__email="invitee@example.com")
    assert (membership.org, membership.role) == (invitation.org, Role.SENDER)


def test_a_used_invitation_cannot_be_used_again(client, invite, make_user):
    invitation, path = invite()
    client.force_login(make_user(email="invitee@example.com"))
    client.post(path)
    response = client.post(path)
    assert response.status_code == 400
    assert "already been used" in response.content.decode()
    assert Membership.objects.filter(org=invitation.org).count() == 2


def test_an_expired_invitation_is_refused(client, invite, make_user):
    invitation, path = invite()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(make_user(email="invitee@example.com"))
    response = client.post(path)
    assert response.status_code == 400
    assert "This invitation has expired" in response.content.decode()
    assert not Membership.objects.filter(user__email="invitee@example.com").exists()


def test_an_invitation_for_another_address_is_refused(client, invite, make_user):
    _, path = invite(email="invitee@example.com")
    client.force_login(make_user(email="someone.else@example.com"))
    response = client.post(path)
    page = response.content.decode()
    assert response.status_code == 400
    assert "was sent to invitee@example.com, but you are signed in as someone.else@example.com" in page
    assert "Sign out" in page
    assert not Membership.objects.filter(user__email="someone.else@example.com").exists()


def test_a_replaced_invitation_link_stops_working(client, invite, make_user):
    invitation, old_path = invite()
    owner = Membership.objects.get(org=invitation.org, role=Role.OWNER)
    invitation_create(org=invitation.org, email=invitation.email, role=Role.VIEWER, invited_by=owner)
    client.force_login(make_user(email="invitee@example.com"))
    assert "withdrawn or replaced" in client.post(old_path).content.decode()


def test_a_made_up_link_gets_a_clear_404(client, db):
    response = client.get(reverse("invitation_accept", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "Check that you copied the whole link" in response.content.decode()


def test_accepting_proves_the_address(client, invite, make_user):
    _, path = invite()
    user = make_user(email="invitee@example.com", verified=False)
    client.force_login(user)
    client.post(path)
    assert user.emailaddress_set.get().verified is True


def test_verified_invitee_can_join_from_the_welcome_page(client, invite, make_user):
    invitation, _ = invite()
    client.force_login(make_user(email="invitee@example.com"))
    page = client.get(reverse("welcome")).content.decode()
    assert "Join Acme" in page
    response = client.post(reverse("invitation_join", args=[invitation.pk]), follow=True)
    assert "Welcome to Acme." in response.content.decode()


def test_unverified_address_sees_no_invitation_on_the_welcome_page(client, invite, make_user):
    invitation, _ = invite()
    client.force_login(make_user(email="invitee@example.com", verified=False))
    assert "Join Acme" not in client.get(reverse("welcome")).content.decode()
    assert client.post(reverse("invitation_join", args=[invitation.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_clicks_racing_make_one_membership(invite, make_user):
    invitation, path = invite()
    token = path.strip("/").split("/")[-1]
    user = make_user(email="invitee@example.com")
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def click():
        start.wait()
        try:
            invitation_accept(invitation=invitation_find(token), user=user)
            outcomes.append("joined")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 2 and outcomes.count("joined") == 1
    assert "already been used" in next(outcome for outcome in outcomes if outcome != "joined")
    assert Membership.objects.filter(user=user).count() == 1
