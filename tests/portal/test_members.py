"""Managing members on the settings page."""

from __future__ import annotations

import smtplib

from django.core import mail
from django.urls import reverse

from portal.models import Invitation, Membership, Role


def test_admin_changes_a_role_inline_with_htmx(member_client, make_member):
    client, admin = member_client(role=Role.ADMIN)
    colleague = make_member(role=Role.VIEWER, org=admin.org)
    response = client.post(
        reverse("member_role", args=[colleague.pk]), {"role": Role.SENDER}, headers={"HX-Request": "true"}
    )
    row = response.content.decode()
    assert response.status_code == 200
    assert row.strip().startswith(f'<tr id="member-{colleague.pk}">') and "<html" not in row
    assert "Saved" in row
    colleague.refresh_from_db()
    assert colleague.role == Role.SENDER


def test_role_change_without_javascript_redirects_with_a_message(member_client, make_member):
    client, admin = member_client(role=Role.ADMIN)
    colleague = make_member(role=Role.VIEWER, org=admin.org)
    response = client.post(reverse("member_role", args=[colleague.pk]), {"role": Role.ADMIN}, follow=True)
    assert f"{colleague.user.email} is now admin." in response.content.decode()


def test_last_owner_cannot_be_demoted_and_the_row_says_why(member_client):
    client, owner = member_client(role=Role.OWNER)
    Membership.objects.filter(org=owner.org).exclude(pk=owner.pk).delete()
    response = client.post(
        reverse("member_role", args=[owner.pk]), {"role": Role.ADMIN}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "at least one owner" in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_last_owner_cannot_be_removed(member_client):
    client, owner = member_client(role=Role.OWNER)
    Membership.objects.filter(org=owner.org).exclude(pk=owner.pk).delete()
    response = client.post(reverse("member_remove", args=[owner.pk]), follow=True)
    assert "The last owner cannot be removed" in response.content.decode()
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_an_owner_can_step_down_once_another_owner_exists(member_client, make_member):
    client, owner = member_client(role=Role.OWNER)
    client.post(reverse("member_role", args=[owner.pk]), {"role": Role.ADMIN})
    owner.refresh_from_db()
    assert owner.role == Role.ADMIN  # the organization's creator is still an owner


def test_admin_cannot_touch_an_owner_or_make_one(member_client, make_member):
    client, admin = member_client(role=Role.ADMIN)
    owner = Membership.objects.get(org=admin.org, role=Role.OWNER)
    viewer = make_member(role=Role.VIEWER, org=admin.org)
    page = client.post(reverse("member_remove", args=[owner.pk]), follow=True).content.decode()
    assert "Only an owner can change or remove another owner." in page
    page = client.post(reverse("member_role", args=[viewer.pk]), {"role": Role.OWNER}, follow=True).content.decode()
    assert "Only an owner can make someone an owner." in page
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER
    assert Membership.objects.get(pk=viewer.pk).role == Role.VIEWER


def test_admin_removes_a_member(member_client, make_member):
    client, admin = member_client(role=Role.ADMIN)
    colleague = make_member(role=Role.SENDER, org=admin.org)
    page = client.post(reverse("member_remove", args=[colleague.pk]), follow=True).content.decode()
    assert f"{colleague.user.email} was removed" in page
    assert not Membership.objects.filter(pk=colleague.pk).exists()


def test_unknown_role_is_refused(member_client, make_member):
    client, admin = member_client(role=Role.ADMIN)
    colleague = make_member(role=Role.VIEWER, org=admin.org)
    response = client.post(
        reverse("member_role", args=[colleague.pk]), {"role": "emperor"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422 and "Choose one of the listed roles." in response.content.decode()


def test_invitation_is_emailed_with_a_working_link(member_client):
    client, admin = member_client(role=Role.ADMIN)
    page = client.post(
        reverse("invitation_new"), {"email": "New.Person@Example.com", "role": Role.SENDER}, follow=True
    ).content.decode()
    assert "Invitation sent to new.person@example.com." in page
    assert "new.person@example.com" in page  # listed under pending invitations
    message = mail.outbox[-1]
    assert message.to == ["new.person@example.com"]
    assert admin.org.name in message.subject
    assert "/invitations/" in message.body
    invitation = Invitation.objects.get(org=admin.org)
    assert invitation.token_hash not in message.body  # only the hash is stored; the link carries the token


def test_inviting_an_existing_member_is_refused_next_to_the_field(member_client, make_member):
    client, admin = member_client(role=Role.ADMIN)
    colleague = make_member(role=Role.VIEWER, org=admin.org)
    response = client.post(reverse("invitation_new"), {"email": colleague.user.email, "role": Role.SENDER})
    assert response.status_code == 400
    assert "is already a member of" in response.content.decode()
    assert not Invitation.objects.exists()


def test_invalid_email_is_refused_next_to_the_field(member_client):
    client, _ = member_client(role=Role.ADMIN)
    response = client.post(reverse("invitation_new"), {"email": "not-an-address", "role": Role.SENDER})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_resend_replaces_the_link(member_client):
    client, admin = member_client(role=Role.ADMIN)
    client.post(reverse("invitation_new"), {"email": "late@example.com", "role": Role.VIEWER})
    first = Invitation.objects.get()
    client.post(reverse("invitation_resend", args=[first.pk]))
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert Invitation.objects.filter(email="late@example.com", revoked_at=None).count() == 1
    assert len(mail.outbox) == 2 and mail.outbox[0].body != mail.outbox[1].body


def test_revoked_invitation_disappears_from_pending(member_client):
    client, _ = member_client(role=Role.ADMIN)
    client.post(reverse("invitation_new"), {"email": "gone@example.com", "role": Role.VIEWER})
    invitation = Invitation.objects.get()
    page = client.post(reverse("invitation_revoke", args=[invitation.pk]), follow=True).content.decode()
    assert "The invitation to gone@example.com was withdrawn." in page
    assert "<td>gone@example.com</td>" not in page


def test_mail_server_down_keeps_the_invitation_and_says_so(member_client, monkeypatch):
    client, _ = member_client(role=Role.ADMIN)

    def refuse(*args, **kwargs):
        raise smtplib.SMTPConnectError(421, "try later")

    monkeypatch.setattr("portal.services.send_mail", refuse)
    page = client.post(
        reverse("invitation_new"), {"email": "queued@example.com", "role": Role.VIEWER}, follow=True
    ).content.decode()
    assert "could not be sent" in page and "Resend" in page
    assert Invitation.objects.filter(email="queued@example.com").exists()


def test_admin_saves_organization_defaults_and_bad_values_show_beside_the_field(member_client):
    client, admin = member_client(role=Role.ADMIN)
    data = {
        "name": "Renamed",
        "default_expiry_days": 0,
        "reminder_first_after_days": 2,
        "reminder_every_days": 2,
        "reminder_max": 2,
        "expiry_warning_days": 3,
    }
    response = client.post(reverse("organization_settings"), data)
    assert response.status_code == 400
    assert "Choose between 1 and 365 days." in response.content.decode()
    response = client.post(reverse("organization_settings"), {**data, "default_expiry_days": 14}, follow=True)
    assert "Settings saved." in response.content.decode()
    admin.org.refresh_from_db()
    assert (admin.org.name, admin.org.default_expiry_days) == ("Renamed", 14)
