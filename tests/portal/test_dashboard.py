"""The dashboard: count cards for every status and period, "waiting for me", what needs attention,
the breakdown by provider account, charts with text alternatives, and polling only while
something is pending — with a fixed number of queries however many envelopes there are."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from envelopes.lifecycle.audit import event_append
from envelopes.models import BOUNCED, EnvelopeStatus, ParticipantStatus
from portal.models import Role
from providers.models import ConnectionStatus, ProviderConnection
from tests.envelopes.journeys import envelope_through

E = EnvelopeStatus
HTMX = {"HX-Request": "true"}
CARD = re.compile(
    r'data-card="(?P<name>\w+)">\s*<span class="stat-label">[^<]*</span>\s*'
    r'<span class="stat-value[^"]*">(?P<value>[^<]*)</span>'
)


def cards(html: str) -> dict[str, str]:
    return {match["name"]: match["value"] for match in CARD.finditer(html)}


@pytest.fixture
def owner(member_client):
    client, membership = member_client(role=Role.OWNER)
    return client, membership.org, membership.user


def test_every_status_has_its_card_and_other_organizations_do_not_leak(owner, make_org, make_user):
    client, org, me = owner
    two_of = {E.DRAFT, E.SENT, E.COMPLETED}
    for status in E.values:
        for _ in range(2 if status in two_of else 1):
            envelope_through(org, me, status)
    other = make_org()
    for status in E.values:
        envelope_through(other, make_user(), status)
    shown = cards(client.get(reverse("dashboard")).content.decode())
    assert shown == {
        "draft": "2",
        "sending": "2",  # queued and sending
        "sent": "2",
        "mine": "0",
        "attention": "1",  # the failed send
        "completed": "2",
        "declined": "1",
        "voided": "1",
        "expired": "1",
        "median": "under an hour",
    }


@pytest.mark.parametrize("period,expected", [("7", "1"), ("30", "2"), ("90", "3"), ("all", "4")])
def test_the_period_selects_what_finished_when(owner, period, expected):
    client, org, me = owner
    now = timezone.now()
    for days_ago in (2, 20, 60, 200):
        for status in (E.COMPLETED, E.DECLINED, E.VOIDED, E.EXPIRED):
            envelope_through(org, me, status, at=now - timedelta(days=days_ago))
    shown = cards(client.get(reverse("dashboard"), {"period": period}).content.decode())
    assert [shown[name] for name in ("completed", "declined", "voided", "expired")] == [expected] * 4
    assert shown["sent"] == "0"


def test_waiting_for_me_counts_my_turns_in_paraph_signing_only(owner, make_participant, make_org):
    client, org, me = owner

    def sent_to_me(status, **fields):
        envelope = envelope_through(org, me, E.SENT, **fields)
        make_participant(envelope, email=me.email.upper(), status=status, invited_at=timezone.now())
        return envelope

    mine = sent_to_me(ParticipantStatus.INVITED)
    sent_to_me(ParticipantStatus.OPENED)
    sent_to_me(ParticipantStatus.WAITING)  # not my turn yet
    sent_to_me(ParticipantStatus.SIGNED)  # done
    sent_to_me(ParticipantStatus.INVITED, provider="memory")  # signed elsewhere, not in Paraph
    envelope_through(make_org(), me, E.SENT)  # another organization
    assert cards(client.get(reverse("dashboard")).content.decode())["mine"] == "2"
    listed = client.get(reverse("envelope_list"), {"show": "mine"}).context["page"].rows
    assert mine in listed and len(listed) == 2


def test_needs_attention_counts_failures_bounces_reconnects_and_expiring(owner, make_participant):
    client, org, me = owner
    envelope_through(org, me, E.FAILED)
    soon = envelope_through(org, me, E.SENT, expires_at=timezone.now() + timedelta(days=3), title="Soon")
    envelope_through(org, me, E.SENT, expires_at=timezone.now() + timedelta(days=30))
    bounced = make_participant(soon, status=ParticipantStatus.INVITED, invited_at=timezone.now())
    event_append(envelope=soon, participant=bounced, kind=BOUNCED, source="provider")
    ProviderConnection.objects.create(
        org=org, provider="formify", label="Sales", status=ConnectionStatus.NEEDS_RECONNECT
    )
    html = client.get(reverse("dashboard")).content.decode()
    assert cards(html)["attention"] == "4"
    for text in ["1 failed send", "1 bounced invitation", "1 connection to reconnect", "1 expiring within 7 days"]:
        assert text in html
    assert [e.title for e in client.get(reverse("envelope_list"), {"show": "expiring"}).context["page"].rows] == [
        "Soon"
    ]
    assert [e.title for e in client.get(reverse("envelope_list"), {"show": "bounced"}).context["page"].rows] == ["Soon"]
    event_append(envelope=soon, participant=bounced, kind="participant.contact_changed")  # fixed: no longer counts
    assert cards(client.get(reverse("dashboard")).content.decode())["attention"] == "3"


def test_cards_link_to_the_list_with_their_filter(owner):
    client, org, me = owner
    envelope_through(org, me, E.SENT)
    html = client.get(reverse("dashboard")).content.decode()
    for query in ["?status=draft", "?status=queued,sending", "?status=sent", "?show=mine", "?status=completed"]:
        assert f'href="{reverse("envelope_list")}{query}"' in html
    rows = client.get(reverse("envelope_list"), {"status": "queued,sending"}).context["page"].rows
    assert rows == []


def test_breakdown_names_each_account(owner):
    client, org, me = owner
    sales = ProviderConnection.objects.create(org=org, provider="formify", label="Formify Sales")
    envelope_through(org, me, E.SENT, provider="formify", connection=sales)
    envelope_through(org, me, E.COMPLETED, provider="formify", connection=sales)
    envelope_through(org, me, E.SENT)
    response = client.get(reverse("dashboard"))
    accounts = {a.name: (a.now[E.SENT], a.finished[E.COMPLETED]) for a in response.context["overview"].accounts}
    assert accounts == {"Paraph signing": (1, 0), "Formify Sales": (1, 1)}
    assert "?account=formify%3A" in response.content.decode()


def test_charts_are_inline_svg_with_text_alternatives(owner):
    client, org, me = owner
    envelope_through(org, me, E.COMPLETED, sent_at=timezone.now() - timedelta(hours=5))
    page = client.get(reverse("dashboard")).content.decode()
    assert f'hx-get="{reverse("dashboard_trends")}?period=30" hx-trigger="load"' in page  # loaded with the page
    html = client.get(reverse("dashboard_trends"), {"period": "30"}, headers=HTMX).content.decode()
    assert html.strip().startswith('<div class="chart-grid" id="trends">')
    assert html.count('<svg class="chart-svg"') == 3 and 'role="img"' in html
    assert "Sent and completed per week" in html and '<details class="chart-numbers">' in html
    assert "In the last 12 weeks: 1 sent, 1 completed" in html
    assert "Completion rate by provider" in html and "Paraph signing at 100%" in html
    assert "<script" not in html  # no JavaScript charting
    without_javascript = client.get(reverse("dashboard_trends")).content.decode()
    assert "<h1>Trends</h1>" in without_javascript and without_javascript.count("<svg") == 3


def test_it_polls_only_while_something_is_pending(owner):
    client, org, me = owner
    envelope_through(org, me, E.COMPLETED)
    assert "every 5s" not in client.get(reverse("dashboard")).content.decode()  # (the charts load once)
    envelope_through(org, me, E.SENT)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'hx-trigger="every 5s"' in page and "data-poll" in page
    polled = client.get(reverse("dashboard"), headers=HTMX).content.decode()
    assert polled.strip().startswith('<div id="dashboard-live"') and "Trends" not in polled


def test_an_empty_organization_sees_the_first_steps(owner):
    client, _, _ = owner
    html = client.get(reverse("dashboard")).content.decode()
    assert "Nothing to track yet" in html and "hx-trigger" not in html


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_envelopes(owner, make_participant):
    client, org, me = owner

    def add(n):
        for i in range(n):
            envelope = envelope_through(org, me, [E.SENT, E.COMPLETED, E.DECLINED][i % 3])
            make_participant(envelope, status=ParticipantStatus.INVITED, invited_at=timezone.now())

    add(3)
    few = _queries(client)
    add(30)
    assert _queries(client) == few
