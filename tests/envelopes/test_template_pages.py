"""Templates: save an envelope as one, edit its roles and defaults, and use it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from envelopes.composing.participants import participant_add
from envelopes.models import Envelope, Template
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
    assert new.participants.get().name == "Customer" and new.participants.get().email == ""


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
