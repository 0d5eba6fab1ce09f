"""Viewer reads; sender creates and sends; admin manages members, connections and policies;
owner also deletes the organization. A role too small gets a readable 403 page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.kernel.roles import can
from portal.models import Invitation, Membership, Role
from tests.urlwalk import portal_url_patterns

ROLES = [Role.VIEWER, Role.SENDER, Role.ADMIN, Role.OWNER]

# Pages for signed-in people that need no organization, or that are reached by a secret link.
NO_ORG_NEEDED = {"home", "welcome", "organization_new", "organization_switch", "invitation_accept", "invitation_join"}
OPEN_TO_ALL = {
    "health",
    "builtin_sign",
    "builtin_code",
    "builtin_act",
    "builtin_page",
    "builtin_attachment",
    "builtin_download",
    "verify_pdf",
    "provider_webhook",  # called by the provider, proven by the webhook signature
    "provider_webhook_secret",  # … or by the secret in its URL
    "provider_webhook_shared",  # … or by a signature with the provider's published key
}


def test_every_portal_page_declares_the_action_it_needs():
    """A new organization page without a role check fails here."""
    unguarded = [
        entry.name
        for _, entry in portal_url_patterns()
        if entry.name not in NO_ORG_NEEDED | OPEN_TO_ALL and not hasattr(entry.callback, "required_action")
    ]
    assert unguarded == []


@pytest.mark.parametrize(
    "role,action,allowed",
    [
        (role, action, ROLES.index(role) >= ROLES.index(minimum))
        for role in ROLES
        for action, minimum in [
            ("view", Role.VIEWER),
            ("send", Role.SENDER),
            ("manage", Role.ADMIN),
            ("delete_org", Role.OWNER),
        ]
    ],
)
def test_role_table(role, action, allowed, make_member):
    assert can(make_member(role=role), action) is allowed


def _target_urls(membership: Membership, invitation: Invitation) -> dict[str, tuple[str, str]]:
    """name → (method, url) for each action above viewing."""
    return {
        "settings_save": ("post", reverse("organization_settings")),
        "member_role": ("post", reverse("member_role", args=[membership.pk])),
        "member_remove": ("post", reverse("member_remove", args=[membership.pk])),
        "invitation_new": ("post", reverse("invitation_new")),
        "invitation_resend": ("post", reverse("invitation_resend", args=[invitation.pk])),
        "invitation_revoke": ("post", reverse("invitation_revoke", args=[invitation.pk])),
        "organization_delete": ("get", reverse("organization_delete")),
    }


MANAGE_TARGETS = [
    "settings_save",
    "member_role",
    "member_remove",
    "invitation_new",
    "invitation_resend",
    "invitation_revoke",
]


@pytest.mark.parametrize("target", [*MANAGE_TARGETS, "organization_delete"])
@pytest.mark.parametrize("role", [Role.VIEWER, Role.SENDER])
def test_viewers_and_senders_get_a_readable_403_on_admin_actions(role, target, member_client, make_member):
    client, me = member_client(role=role)
    colleague = make_member(role=Role.VIEWER, org=me.org)
    invitation = Invitation.objects.create(
        org=me.org, email="x@example.com", token_hash="h" * 64, expires_at="2999-01-01T00:00Z"
    )
    method, url = _target_urls(colleague, invitation)[target]
    response = getattr(client, method)(url, {"role": Role.OWNER, "email": "y@example.com"})
    assert response.status_code == 403
    page = response.content.decode()
    reason = "Only an owner can delete" if target == "organization_delete" else "Only admins and owners"
    assert "You cannot do that here" in page and reason in page
    colleague.refresh_from_db()
    assert colleague.role == Role.VIEWER


def test_admin_cannot_delete_the_organization_but_owner_can(member_client, make_member):
    client, admin = member_client(role=Role.ADMIN)
    assert client.get(reverse("organization_delete")).status_code == 403
    owner = Membership.objects.get(org=admin.org, role=Role.OWNER)
    client.force_login(owner.user)
    response = client.post(reverse("organization_delete"), {"confirm_name": "wrong"})
    assert "exactly to delete it" in response.content.decode()
    response = client.post(reverse("organization_delete"), {"confirm_name": admin.org.name}, follow=True)
    assert "were deleted" in response.content.decode()
    assert not Membership.objects.filter(org_id=admin.org_id).exists()


@pytest.mark.parametrize("role", ROLES)
def test_every_member_reads_the_pages(role, member_client):
    client, _ = member_client(role=role)
    pages = ["dashboard", "envelope_list", "signer_tracking", "template_list", "connection_list"]
    for name in [*pages, "organization_settings"]:
        assert client.get(reverse(name)).status_code == 200, name


def test_viewer_sees_settings_read_only(member_client):
    client, _ = member_client(role=Role.VIEWER)
    page = client.get(reverse("organization_settings")).content.decode()
    assert "Only admins and owners can change these." in page
    assert "Invite a colleague" not in page


@pytest.mark.urls("tests.portal.urls_sender_only")
@pytest.mark.parametrize("role,status", [(Role.VIEWER, 403), (Role.SENDER, 200), (Role.ADMIN, 200)])
def test_a_viewer_posting_to_a_sender_only_url_gets_a_readable_403(role, status, member_client):
    client, _ = member_client(role=role)
    response = client.post("/test/send/")
    assert response.status_code == status
    if status == 403:
        page = response.content.decode()
        assert "Viewers can look but not create or send." in page
        assert 'class="topbar"' in page  # the portal's own page, not a bare error
