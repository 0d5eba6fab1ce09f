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
