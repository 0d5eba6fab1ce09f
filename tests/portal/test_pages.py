"""Health endpoint, error pages and the shell around every page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import Role


def test_health_reports_database_and_queue(client, db):
    response = client.get(reverse("health"))
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["queue"] == body["checks"]["queue"] | {"ok": True, "broker": "orm", "queued": 0}
    assert response["Cache-Control"].startswith("max-age=0")


def test_health_answers_503_when_the_queue_is_unreachable(client, db, monkeypatch):
    class DeadBroker:
        def ping(self):
            raise ConnectionError("no route")

    monkeypatch.setattr("portal.pages.views.health.get_broker", lambda: DeadBroker())
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["checks"]["queue"] == response.json()["checks"]["queue"] | {
        "ok": False,
        "error": "ConnectionError",
    }


def test_a_form_with_a_stale_csrf_token_gets_a_friendly_page(make_user, db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    response = client.post(reverse("organization_new"), {"name": "Acme"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_unknown_page_is_a_friendly_404(member_client):
    client, _ = member_client(role=Role.VIEWER)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_base_layout_has_navigation_switcher_and_htmx_csrf_header(member_client, make_member):
    client, me = member_client(role=Role.SENDER)
    make_member(role=Role.VIEWER, user=me.user)
    page = client.get(reverse("dashboard")).content.decode()
    for label in ["Dashboard", "Envelopes", "Templates", "Connections", "Settings"]:
        assert f">{label}</a>" in page
    assert 'hx-headers=\'{"x-csrftoken": "' in page
    assert "/static/django_htmx/htmx-2" in page
    assert page.count('action="/orgs/') == 2  # one switcher entry per organization
    assert "https://" not in page.split("<body", 1)[0]  # no CDN in the head


def test_every_page_sends_a_content_security_policy(client, db):
    policy = client.get(reverse("account_login"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy


@pytest.mark.parametrize("name", ["dashboard", "organization_settings"])
def test_pages_ask_for_sign_in_first(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_dashboard_query_count_is_small_and_fixed(member_client, make_member, django_assert_max_num_queries):
    client, me = member_client(role=Role.OWNER)
    for _ in range(5):
        make_member(role=Role.VIEWER, user=me.user)
    with django_assert_max_num_queries(11):  # a new organization: its first steps, no charts or lists yet
        client.get(reverse("dashboard"))
