"""Sign-up, sign-in, verification, two-factor and rate limits (django-allauth, in the portal's look)."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from portal.models import User
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db):
    cache.clear()


def sign_up(client, email: str, password: str = PASSWORD, follow: bool = False):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": password, "password2": password}, follow=follow
    )


def test_account_pages_use_the_portal_look(client, db):
    page = client.get(reverse("account_login")).content.decode()
    assert 'class="topbar"' in page and "portal.css" in page
    assert '<label for="id_login">Email</label>' in page


def test_sign_up_leads_to_the_welcome_page(client, db):
    response = sign_up(client, "ada@example.com", follow=True)
    assert response.redirect_chain[-1][0] == reverse("welcome")
    assert "Create an organization" in response.content.decode()
    assert User.objects.filter(email="ada@example.com").exists()


def test_sign_up_with_an_existing_email_creates_no_second_account(client, make_user):
    make_user(email="taken@example.com")
    response = sign_up(client, "TAKEN@example.com")
    assert response.status_code == 200
    assert "A user is already registered with this email address." in response.content.decode()
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_sign_up_with_a_weak_password_shows_why_next_to_the_field(client, db):
    response = sign_up(client, "weak@example.com", password="password")
    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="id_password1".*?This password is too common', page, re.S)
    assert not User.objects.filter(email="weak@example.com").exists()


def test_verification_is_mandatory_when_configured(client, db, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    response = sign_up(client, "new@example.com", follow=True)
    assert "Verify Your Email Address" in response.content.decode()
    # Not signed in until the address is confirmed.
    assert client.get(reverse("dashboard")).status_code == 302
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body).group(0)
    path = link.split("testserver", 1)[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
    client.post(path)
    assert client.get(reverse("welcome")).status_code == 200


def test_repeated_failed_logins_lock_the_account_for_a_while(client, make_user):
    make_user(email="target@example.com")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "target@example.com", "password": "wrong"})
    # Even the right password is refused until the limit passes, with a readable reason.
    response = client.post(reverse("account_login"), {"login": "target@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302


def test_too_many_sign_ups_from_one_address_get_a_friendly_429(client, db):
    statuses = [sign_up(client, f"bot{n}@example.com", password="x").status_code for n in range(22)]
    assert statuses[0] == 200 and statuses[-1] == 429
    assert "Too many attempts" in sign_up(client, "bot@example.com", password="x").content.decode()


def test_password_reset_sends_a_link(client, make_user):
    make_user(email="forgot@example.com")
    client.post(reverse("account_reset_password"), {"email": "forgot@example.com"})
    assert "/accounts/password/reset/key/" in mail.outbox[-1].body


def test_logout_signs_out(client, make_user):
    make_user(email="bye@example.com")
    client.post(reverse("account_login"), {"login": "bye@example.com", "password": PASSWORD})
    client.post(reverse("account_logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_totp_two_factor_can_be_turned_on_and_is_then_required(client, make_user, make_org):
    user = make_user(email="careful@example.com")
    make_org(owner=user)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    # Changing security settings asks for the password again.
    assert client.get(reverse("mfa_activate_totp")).status_code == 302
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200 and 'class="topbar"' in page.content.decode()
    secret = client.session["mfa.totp.secret"]
    client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_authenticate")
    assert client.get(reverse("dashboard")).status_code == 302
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert client.get(reverse("dashboard")).status_code == 200
