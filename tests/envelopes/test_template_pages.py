"""Templates: save an envelope as one, edit its roles and defaults, and use it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from envelopes.composing.participants import participant_add, participant_place
from envelopes.composing.templating import template_role_add
from envelopes.models import Envelope, SignatureField, Template
from envelopes.services import envelope_create
from portal.models import Role


@pytest.fixture
def sender_client(member_client, fake_providers):
    return member_client(role=Role.SENDER)


def test_save_as_template_then_use_it(sender_client, make_document):
    client, membership = sender_client
    envelope = envelope_create(org=membership.org, actor=membership.user, title="NDA", provider="memory")
    make_document(envelope, pages=2)
    participant_add(envelope=envelope, name="Customer", email="c@example.com")
    response = client.post(reverse("envelope_save_template", args=[envelope.pk]), {"name": "Standard NDA"}, follow=True)
    assert "Saved as the template “Standard NDA”." in response.content.decode()
    template = Template.objects.get(org=membership.org)

    listing = client.get(reverse("template_list")).content.decode()
    assert "Standard NDA" in listing and "Use template" in listing

    response = client.post(reverse("template_use", args=[template.pk]), follow=True)
    new = Envelope.objects.exclude(pk=envelope.pk).get()
    assert response.redirect_chain[-1][0] == reverse("envelope_compose", args=[new.pk])
    assert "Fill in who takes each role" in response.content.decode()
    assert new.participants.get().name == "Signer 1" and new.participants.get().email == ""


def test_saved_template_names_roles_by_what_they_do_and_keeps_each_placement(sender_client, make_document):
    client, membership = sender_client
    envelope = envelope_create(org=membership.org, actor=membership.user, title="Lease", provider="memory")
    contract = make_document(envelope, pages=3, name="contract.pdf")
    anna = participant_add(envelope=envelope, name="Anna Andersson", email="anna@example.com")
    bo = participant_add(envelope=envelope, name="Bo Berg", email="bo@example.com")
    participant_add(envelope=envelope, name="Cecilia", email="c@example.com", role="approver")
    participant_place(participant=anna, document=contract, page=2, x=40, y=100)
    participant_place(participant=bo, document=contract, page=3, x=300, y=80)

    client.post(reverse("envelope_save_template", args=[envelope.pk]), {"name": "Lease"})
    template = Template.objects.get()
    assert [r.label for r in template.roles.all()] == ["Signer 1", "Signer 2", "Approver 1"]
    assert "Anna" not in client.get(reverse("template_edit", args=[template.pk])).content.decode()

    first = template.roles.get(label="Signer 1")
    client.post(reverse("template_role_rename", args=[first.pk]), {"label": "  Client "})
    client.post(reverse("template_role_rename", args=[template.roles.get(label="Signer 2").pk]), {"label": "Witness"})
    page = client.get(reverse("template_edit", args=[template.pk])).content.decode()
    assert "Signs on page 2 of contract.pdf" in page and "Signs on page 3 of contract.pdf" in page

    client.post(reverse("template_use", args=[template.pk]))
    new = Envelope.objects.exclude(pk=envelope.pk).get()
    placed = {
        f.participant.name: (f.document.name, f.page, f.x, f.y)
        for f in SignatureField.objects.filter(document__envelope=new).select_related("participant", "document")
    }
    assert placed == {"Client": ("contract.pdf", 2, 40, 100), "Witness": ("contract.pdf", 3, 300, 80)}
    assert [p.name for p in new.participants.all()] == ["Client", "Witness", "Approver 1"]


def test_a_role_cannot_be_renamed_to_nothing(sender_client):
    client, membership = sender_client
    template = Template.objects.create(org=membership.org, name="Offer")
    role = template_role_add(template=template, label="Candidate")
    response = client.post(reverse("template_role_rename", args=[role.pk]), {"label": "   "})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    role.refresh_from_db()
    assert role.label == "Candidate"


def test_role_form_offers_only_what_the_templates_provider_supports(sender_client):
    client, membership = sender_client
    # "Limited Sign" delivers by e-mail only, with no sign-in method and no approvers.
    template = Template.objects.create(org=membership.org, name="Offer", provider="limited")
    page = client.get(reverse("template_edit", args=[template.pk])).content.decode()
    assert 'value="email"' in page
    for unsupported in ("sms", "whatsapp", "se_bankid", "email_otp", "approver"):
        assert f'value="{unsupported}"' not in page
    response = client.post(
        reverse("template_role_new", args=[template.pk]),
        {"label": "Client", "role": "signer", "order": 1, "delivery": "sms", "auth_view": "none", "auth_sign": "none"},
    )
    assert response.status_code == 400 and "Select a valid choice." in response.content.decode()
    assert not template.roles.exists()


def test_template_name_is_required(sender_client, make_envelope):
    client, membership = sender_client
    envelope = make_envelope(org=membership.org)
    response = client.post(reverse("envelope_save_template", args=[envelope.pk]), {"name": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()


def test_edit_defaults_and_roles(sender_client):
    client, membership = sender_client
    template = Template.objects.create(org=membership.org, name="Offer")
    data = {
        "name": "Offer v2",
        "title": "Job offer",
        "message": "",
        "language": "sv",
        "expiry_days": 14,
        "provider": "memory",
        "reminder_first_after_days": 2,
        "reminder_every_days": 2,
        "reminder_max": 1,
    }
    client.post(reverse("template_edit", args=[template.pk]), data)
    template.refresh_from_db()
    assert (template.name, template.language, template.expiry_days) == ("Offer v2", "sv", 14)

    page = client.post(
        reverse("template_role_new", args=[template.pk]),
        {"label": "", "role": "signer", "order": 1, "delivery": "email"},
    ).content.decode()
    assert "This field is required." in page
    client.post(
        reverse("template_role_new", args=[template.pk]),
        {
            "label": "Candidate",
            "role": "signer",
            "order": 1,
            "delivery": "email",
            "auth_view": "none",
            "auth_sign": "email_otp",
        },
    )
    role = template.roles.get()
    assert (role.label, role.auth_sign) == ("Candidate", "email_otp")
    client.post(reverse("template_role_delete", args=[role.pk]))
    assert not template.roles.exists()


def test_a_template_with_zero_day_expiry_is_refused_when_saved(sender_client):
    client, membership = sender_client
    template = Template.objects.create(org=membership.org, name="Offer")
    data = {
        "name": "Offer",
        "title": "",
        "message": "",
        "language": "en",
        "expiry_days": 0,
        "provider": "",
        "reminder_first_after_days": 1,
        "reminder_every_days": 0,
        "reminder_max": 1,
    }
    page = client.post(reverse("template_edit", args=[template.pk]), data).content.decode()
    assert page.count("Ensure this value is greater than or equal to 1.") == 2


def test_viewer_sees_templates_but_cannot_use_them(member_client):
    client, membership = member_client(role=Role.VIEWER)
    template = Template.objects.create(org=membership.org, name="Offer")
    assert "Offer" in client.get(reverse("template_list")).content.decode()
    assert client.post(reverse("template_use", args=[template.pk])).status_code == 403
