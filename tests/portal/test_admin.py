"""The operators' admin: people, organizations with their members, invitations and the task queue."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from portal.models import Invitation, Membership, Role
from portal.services import invitation_create


@pytest.fixture
def operator_client(client, make_user):
    client.force_login(make_user(email="ops@example.com", is_staff=True, is_superuser=True))
    return client


def test_admin_lives_at_admin_url(operator_client, db):
    assert reverse("admin:index") == "/" + settings.ADMIN_URL
    assert operator_client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "admin:portal_user_changelist",
        "admin:portal_organization_changelist",
        "admin:portal_invitation_changelist",
        "admin:django_q_schedule_changelist",
        "admin:django_q_success_changelist",
        "admin:django_q_failure_changelist",
        "admin:django_q_ormq_changelist",
        "admin:envelopes_envelope_changelist",
        "admin:envelopes_envelopeevent_changelist",
        "admin:envelopes_template_changelist",
    ],
)
def test_operator_pages_open(operator_client, make_org, name):
    make_org()
    assert operator_client.get(reverse(name)).status_code == 200


def test_organization_page_lists_members_inline(operator_client, make_org, make_member):
    org = make_org(name="Inline Co")
    member = make_member(role=Role.VIEWER, org=org)
    page = operator_client.get(reverse("admin:portal_organization_change", args=[org.pk])).content.decode()
    assert "Memberships" in page and f'value="{member.user_id}"' in page


def test_invitation_page_never_shows_the_token(operator_client, make_org):
    org = make_org()
    owner = Membership.objects.get(org=org, role=Role.OWNER)
    invitation = invitation_create(org=org, email="x@example.com", role=Role.VIEWER, invited_by=owner)
    page = operator_client.get(reverse("admin:portal_invitation_change", args=[invitation.pk])).content.decode()
    assert Invitation.objects.get().token_hash not in page
    assert "token_hash" not in page and "Token hash" not in page


def test_members_of_the_portal_cannot_open_the_admin(member_client):
    client, _ = member_client(role=Role.OWNER)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_envelope_page_shows_documents_and_participants(operator_client, make_org):
    from envelopes.models import Envelope, Participant

    envelope = Envelope.objects.create(org=make_org(), title="Lease")
    Participant.objects.create(envelope=envelope, name="Anna", email="anna@example.com")
    page = operator_client.get(reverse("admin:envelopes_envelope_change", args=[envelope.pk])).content.decode()
    assert "Lease" in page and "anna@example.com" in page
