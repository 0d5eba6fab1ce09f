"""Another organization's objects are invisible: every URL that takes an object id or slug
answers 404 to a member of a different organization. New URLs are covered automatically."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, reverse

from portal.models import Invitation, Membership, Organization, Role
from portal.services import invitation_create
from portal.tenancy import org_get_or_404, org_scoped
from tests.urlwalk import portal_url_patterns

# URLs reached by a secret in the link rather than by membership.
PUBLIC_BY_TOKEN = {"invitation_accept"}


@dataclass
class OtherOrg:
    org: Organization
    membership: Membership
    invitation: Invitation


# How to fill each URL argument with an object of the *other* organization. A new URL
# argument fails the test below until it is added here.
OBJECT_ARGUMENTS = {
    "membership_id": lambda other: other.membership.pk,
    "invitation_id": lambda other: other.invitation.pk,
    "org_slug": lambda other: other.org.slug,
}


def object_url_patterns() -> list[tuple[str, URLPattern]]:
    found = []
    for route, entry in portal_url_patterns():
        if entry.name in PUBLIC_BY_TOKEN or "<" not in route:
            continue
        found.append((entry.name, entry))
    return found


@pytest.fixture
def other_org(make_org, make_member, make_user):
    org = make_org(name="Other Company")
    membership = make_member(role=Role.VIEWER, org=org)
    owner = Membership.objects.get(org=org, role=Role.OWNER)
    invitation = invitation_create(org=org, email="someone@other.test", role=Role.SENDER, invited_by=owner)
    return OtherOrg(org=org, membership=membership, invitation=invitation)


def test_the_walk_finds_the_object_urls():
    names = {name for name, _ in object_url_patterns()}
    assert {"member_role", "member_remove", "invitation_revoke", "organization_switch"} <= names


@pytest.mark.parametrize("name,entry", object_url_patterns(), ids=[name for name, _ in object_url_patterns()])
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organizations_object_is_a_404(name, entry, method, member_client, other_org):
    client, _ = member_client(role=Role.OWNER)
    arguments = entry.pattern.converters.keys()
    unknown = set(arguments) - set(OBJECT_ARGUMENTS)
    assert not unknown, f"Teach OBJECT_ARGUMENTS how to fill {unknown} for URL {name!r}"
    url = reverse(name, kwargs={arg: OBJECT_ARGUMENTS[arg](other_org) for arg in arguments})
    response = getattr(client, method)(url)
    assert response.status_code in (404, 405), f"{method.upper()} {url} answered {response.status_code}"
    if method == "post":
        assert response.status_code == 404
    # Nothing of the other organization changed.
    other_org.membership.refresh_from_db()
    assert other_org.membership.role == Role.VIEWER
    assert Invitation.objects.get(pk=other_org.invitation.pk).revoked_at is None


def test_scoping_helper_hides_other_organizations(make_org, other_org):
    mine = make_org()
    assert not org_scoped(Membership, mine).filter(pk=other_org.membership.pk).exists()
    assert list(org_scoped(Organization, mine)) == [mine]
    assert org_scoped(Membership, None).count() == 0
    with pytest.raises(Exception) as raised:
        org_get_or_404(Membership, mine, pk=other_org.membership.pk)
    assert raised.type.__name__ == "Http404"


def test_switching_organization_changes_what_the_pages_show(member_client, make_member):
    client, first = member_client(role=Role.SENDER)
    second = make_member(role=Role.VIEWER, user=first.user)
    second.org.name = "Zeta Holdings"
    second.org.save()
    assert first.org.name in client.get(reverse("dashboard")).content.decode()

    response = client.post(reverse("organization_switch", args=[second.org.slug]), follow=True)
    page = response.content.decode()
    assert "Now working in Zeta Holdings" in page
    assert '<p class="eyebrow">Zeta Holdings</p>' in page
    # The choice sticks for later requests.
    assert '<p class="eyebrow">Zeta Holdings</p>' in client.get(reverse("dashboard")).content.decode()


def test_user_without_organization_is_sent_to_welcome(client, make_user):
    client.force_login(make_user())
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"] == reverse("welcome")


def test_creating_an_organization_makes_the_creator_owner(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("organization_new"), {"name": "Acme Ltd"}, follow=True)
    assert "Acme Ltd is ready" in response.content.decode()
    membership = Membership.objects.get(user=user)
    assert (membership.org.name, membership.org.slug, membership.role) == ("Acme Ltd", "acme-ltd", Role.OWNER)


def test_organization_name_must_have_a_letter_or_digit(client, make_user):
    client.force_login(make_user())
    response = client.post(reverse("organization_new"), {"name": "  --- "})
    assert "Use at least one letter or digit." in response.content.decode()
    assert not Organization.objects.exists()


def test_two_organizations_with_one_name_get_distinct_slugs(make_org):
    assert make_org(name="Acme").slug == "acme"
    assert make_org(name="Acme").slug == "acme-2"
