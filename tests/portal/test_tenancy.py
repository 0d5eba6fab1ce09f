"""Another organization's objects are invisible: every URL that takes an object id or slug
answers 404 to a member of a different organization. New URLs are covered automatically."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, reverse

from envelopes.models import Document, Envelope, Participant, Template, TemplateDocument, TemplateRole
from portal.kernel.tenancy import org_get_or_404, org_scoped
from portal.models import Invitation, Membership, Organization, Role
from portal.services import invitation_create
from providers.models import ProviderConnection
from tests.envelopes.pdfs import make_pdf
from tests.urlwalk import portal_url_patterns

# URLs reached by a secret in the link rather than by membership.
PUBLIC_BY_TOKEN = {
    "invitation_accept",
    "builtin_sign",
    "builtin_code",
    "builtin_act",
    "builtin_page",
    "builtin_attachment",
    "builtin_download",
    "provider_webhook",  # the caller proves itself with the connection's webhook secret
    "provider_webhook_secret",  # … or with the secret in the URL
    "provider_webhook_shared",  # … or with a signature by the provider's published key
}
# URLs whose argument names a provider, not an organization's object (tested in tests/providers).
NOT_ORG_OBJECTS = {"connection_connect", "connection_callback", "connection_paste"}


@dataclass
class OtherOrg:
    org: Organization
    membership: Membership
    invitation: Invitation
    envelope: Envelope
    document: Document
    participant: Participant
    template: Template
    role: TemplateRole
    template_document: TemplateDocument
    connection: ProviderConnection


# How to fill each URL argument with an object of the *other* organization. A new URL
# argument fails the test below until it is added here.
OBJECT_ARGUMENTS = {
    "membership_id": lambda other: other.membership.pk,
    "invitation_id": lambda other: other.invitation.pk,
    "org_slug": lambda other: other.org.slug,
    "envelope_id": lambda other: other.envelope.pk,
    "document_id": lambda other: other.document.pk,
    "participant_id": lambda other: other.participant.pk,
    "template_id": lambda other: other.template.pk,
    "role_id": lambda other: other.role.pk,
    "template_document_id": lambda other: other.template_document.pk,
    "connection_id": lambda other: other.connection.pk,
    "page": lambda other: 1,
}


def object_url_patterns() -> list[tuple[str, URLPattern]]:
    found = []
    for route, entry in portal_url_patterns():
        if entry.name in PUBLIC_BY_TOKEN | NOT_ORG_OBJECTS or "<" not in route:
            continue
        found.append((entry.name, entry))
    return found


@pytest.fixture
def other_org(make_org, make_member, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    org = make_org(name="Other Company")
    membership = make_member(role=Role.VIEWER, org=org)
    owner = Membership.objects.get(org=org, role=Role.OWNER)
    invitation = invitation_create(org=org, email="someone@other.test", role=Role.SENDER, invited_by=owner)
    envelope = Envelope.objects.create(org=org, title="Their agreement")
    content = make_pdf(1)
    document = Document(
        envelope=envelope,
        name="their-contract.pdf",
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        page_count=1,
    )
    # A real file, so a scoping mistake would show as a 200 rather than hide behind a missing file.
    document.file.save(document.name, ContentFile(content), save=True)
    participant = Participant.objects.create(envelope=envelope, name="Their signer", email="signer@other.test")
    template = Template.objects.create(org=org, name="Their template")
    role = TemplateRole.objects.create(template=template, label="Their customer")
    template_document = TemplateDocument(
        template=template, name="t.pdf", sha256=document.sha256, size=len(content), page_count=1
    )
    template_document.file.save("t.pdf", ContentFile(content), save=True)
    connection = ProviderConnection.objects.create(org=org, provider="formify", label="Their Formify")
    return OtherOrg(
        connection=connection,
        org=org,
        membership=membership,
        invitation=invitation,
        envelope=envelope,
        document=document,
        participant=participant,
        template=template,
        role=role,
        template_document=template_document,
    )


def test_the_walk_finds_the_object_urls():
    names = {name for name, _ in object_url_patterns()}
    assert {"member_role", "member_remove", "invitation_revoke", "organization_switch"} <= names


@pytest.mark.parametrize("name,entry", object_url_patterns(), ids=[name for name, _ in object_url_patterns()])
def test_another_organizations_object_is_a_404(name, entry, member_client, other_org):
    client, _ = member_client(role=Role.OWNER)
    arguments = entry.pattern.converters.keys()
    unknown = set(arguments) - set(OBJECT_ARGUMENTS)
    assert not unknown, f"Teach OBJECT_ARGUMENTS how to fill {unknown} for URL {name!r}"
    url = reverse(name, kwargs={arg: OBJECT_ARGUMENTS[arg](other_org) for arg in arguments})
    # A method the URL does not take may answer 405 (which says nothing about the object);
    # the method it takes must answer 404.
    statuses = {method: getattr(client, method)(url).status_code for method in ("get", "post")}
    assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), f"{url} answered {statuses}"
    # Nothing of the other organization changed.
    other_org.membership.refresh_from_db()
    assert other_org.membership.role == Role.VIEWER
    assert Invitation.objects.get(pk=other_org.invitation.pk).revoked_at is None
    envelope = Envelope.objects.get(pk=other_org.envelope.pk)
    assert (envelope.title, envelope.status, envelope.events.count()) == ("Their agreement", "draft", 0)
    assert Document.objects.filter(pk=other_org.document.pk).exists()
    assert Participant.objects.filter(pk=other_org.participant.pk, name="Their signer").exists()
    assert Template.objects.filter(pk=other_org.template.pk, name="Their template").exists()
    assert TemplateRole.objects.filter(pk=other_org.role.pk).exists()
    assert TemplateDocument.objects.filter(pk=other_org.template_document.pk).exists()
    connection = ProviderConnection.objects.get(pk=other_org.connection.pk)
    assert (connection.label, connection.status) == ("Their Formify", "connected")


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
