"""Signer tracking: everyone whose turn it is across the organization's envelopes, filtered by
provider and "overdue", sorted, reminded one by one or as a selection (saying why someone was not),
polled only while someone is waiting, at a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from envelopes.models import EnvelopeStatus, ParticipantRole, ParticipantStatus
from portal.models import Role
from providers.models import ProviderConnection
from tests.envelopes.journeys import envelope_through

E, P = EnvelopeStatus, ParticipantStatus
HTMX = {"HX-Request": "true"}


@pytest.fixture
def sender(member_client):
    client, membership = member_client(role=Role.SENDER)
    return client, membership.org, membership.user


@pytest.fixture
def waiting_person(make_participant):
    """A participant invited `days_ago` to an envelope in `status` (out for signature by default)."""

    def make(org, actor, *, days_ago=1, status=P.INVITED, envelope_status=E.SENT, title="", **envelope_fields):
        invited = timezone.now() - timedelta(days=days_ago)
        envelope = envelope_through(
            org, actor, envelope_status, title=title or f"Envelope {days_ago}", created_at=invited, **envelope_fields
        )
        person = make_participant(envelope, status=status, invited_at=invited)
        person.envelope = envelope
        return person

    return make


def listed(client, **params) -> list[str]:
    return [row.person.name for row in client.get(reverse("signer_tracking"), params).context["page"].rows]


def test_lists_everyone_whose_turn_it_is_and_nobody_else(sender, waiting_person, make_org, make_user):
    client, org, me = sender
    anna = waiting_person(org, me, days_ago=5)
    bo = waiting_person(org, me, days_ago=2, status=P.OPENED)
    waiting_person(org, me, status=P.SIGNED)
    waiting_person(org, me, status=P.WAITING)
    viewer = waiting_person(org, me)
    viewer.role = ParticipantRole.VIEWER
    viewer.save()
    waiting_person(org, me, days_ago=40, envelope_status=E.EXPIRED)  # stays "invited" for ever
    waiting_person(make_org(), make_user())
    assert listed(client) == [anna.name, bo.name]


def test_filters_by_provider_account_and_overdue(sender, waiting_person):
    client, org, me = sender
    sales = ProviderConnection.objects.create(org=org, provider="memory", label="Sales")
    old = waiting_person(org, me, days_ago=10)
    recent = waiting_person(org, me, days_ago=2, provider="memory", connection=sales)
    assert listed(client, account="builtin:0") == [old.name]
    assert listed(client, account=f"memory:{sales.pk}") == [recent.name]
    assert listed(client, overdue="1") == [old.name]
    page = client.get(reverse("signer_tracking")).content.decode()
    assert "Overdue" in page and "Sales" in page


def test_sorts_by_wait_and_by_expiry(sender, waiting_person):
    client, org, me = sender
    soon = timezone.now() + timedelta(days=2)
    later = waiting_person(org, me, days_ago=9, expires_at=soon + timedelta(days=20))
    middle = waiting_person(org, me, days_ago=5, expires_at=soon)
    newest = waiting_person(org, me, days_ago=1, expires_at=soon + timedelta(days=9))
    assert listed(client) == [later.name, middle.name, newest.name]
    assert listed(client, sort="recent") == [newest.name, middle.name, later.name]
    assert listed(client, sort="expiring") == [middle.name, newest.name, later.name]


def test_remind_one_or_a_selection_and_say_why_not(sender, waiting_person, make_participant, fake_providers):
    client, org, me = sender
    anna = waiting_person(org, me, provider="memory", remote_id="mem-77")
    fake_providers.remote["mem-77"] = {"reminded": {}}
    bo = make_participant(anna.envelope, status=P.INVITED, invited_at=timezone.now())
    done = make_participant(anna.envelope, status=P.SIGNED)
    elsewhere = waiting_person(org, me, provider="limited", remote_id="lim-1")

    page = client.post(reverse("signer_remind"), {"one": anna.pk}, follow=True).content.decode()
    assert f"Reminded {anna.name}." in page
    anna.refresh_from_db()
    assert anna.reminders_sent == 1

    chosen = {"ids": [anna.pk, bo.pk, done.pk, elsewhere.pk]}
    page = client.post(reverse("signer_remind"), chosen, follow=True).content.decode()
    assert f"Reminded {bo.name}." in page
    assert f"{anna.name} was not reminded: Memory Sign allows one reminder per hour" in page
    assert f"{done.name} was not reminded: They have already finished." in page
    assert f"{elsewhere.name} was not reminded: Limited Sign does not send reminders through Paraph." in page


def test_viewers_cannot_remind(member_client, waiting_person):
    client, membership = member_client(role=Role.VIEWER)
    person = waiting_person(membership.org, membership.user)
    assert client.post(reverse("signer_remind"), {"one": person.pk}).status_code == 403
    assert 'name="one"' not in client.get(reverse("signer_tracking")).content.decode()


def test_it_polls_only_while_someone_is_waiting(sender, waiting_person):
    client, org, me = sender
    assert "hx-trigger" not in client.get(reverse("signer_tracking")).content.decode()
    waiting_person(org, me)
    assert 'hx-trigger="every 5s"' in client.get(reverse("signer_tracking")).content.decode()
    polled = client.get(reverse("signer_tracking"), headers=HTMX).content.decode()
    assert polled.strip().startswith('<div id="tracking"')


def test_query_count_does_not_grow_with_rows(sender, waiting_person):
    client, org, me = sender

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("signer_tracking"))
        return len(captured)

    for days in range(3):
        waiting_person(org, me, days_ago=days + 1)
    few = queries()
    for days in range(30):
        waiting_person(org, me, days_ago=days + 1, provider="memory")
    assert queries() == few
