import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal.models import Membership, Role


def test_demo_setup_creates_a_login_that_reaches_the_demo_dashboard(client, db, settings, capsys):
    settings.DEBUG = True
    call_command("demo_setup")
    call_command("demo_setup")  # the second run changes nothing
    assert "demo@paraph.test / paraph-demo-2026" in capsys.readouterr().out
    membership = Membership.objects.get(user__email=settings.DEMO_EMAIL)
    assert (membership.org.name, membership.role) == ("Demo Company", Role.OWNER)
    response = client.post(
        reverse("account_login"), {"login": settings.DEMO_EMAIL, "password": settings.DEMO_PASSWORD}, follow=True
    )
    assert "Demo Company" in response.content.decode() and "Dashboard" in response.content.decode()


def test_demo_login_is_never_created_in_production(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development only"):
        call_command("demo_setup")
    assert not Membership.objects.exists()


def test_demo_setup_prints_an_operator_login_that_opens_the_admin(client, db, settings, capsys):
    settings.DEBUG = True
    call_command("demo_setup")
    call_command("demo_setup")  # the second run changes nothing and prints the login again
    out = capsys.readouterr().out
    assert out.count("Demo operator for http://127.0.0.1:8000/admin/: operator@paraph.test / paraph-operator-2026") == 2
    response = client.post(
        reverse("admin:login"),
        {"username": "operator@paraph.test", "password": "paraph-operator-2026", "next": reverse("admin:index")},
        follow=True,
    )
    assert "Paraph operations" in response.content.decode() and "Log out" in response.content.decode()
