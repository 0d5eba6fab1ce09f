"""The organization dashboard: count cards, what needs attention, the breakdown by provider
account, the longest-waiting signers, the latest activity and charts. Polled by htmx while
something is still pending: the `live` partial comes back, without its trigger once nothing is.
The charts (weekly trends) are their own request, made as the page loads: they change by the
week, and the counts need not wait for them."""

from __future__ import annotations

from dataclasses import dataclass

from django.shortcuts import render
from django.views.decorators.http import require_GET

from envelopes.reads.activity import activity_feed
from envelopes.reads.dashboard import (
    DEFAULT_PERIOD,
    PERIODS,
    Overview,
    dashboard_overview,
    finished_by_account,
    weekly_series,
)
from envelopes.reads.tracking import participants_outstanding
from portal.kernel.roles import role_required
from portal.pages.dashboard_charts import completion_rate_chart, median_chart, weekly_volume_chart

SIGNERS_SHOWN = 8


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    value: int
    query: str  # the envelope list's filter it links to
    note: str = ""


def now_cards(overview: Overview) -> list[Card]:
    s = overview.statuses
    return [
        Card("draft", "Drafts", s["draft"], "?status=draft"),
        Card("sending", "Sending", s["queued"] + s["sending"], "?status=queued,sending"),
        Card("sent", "Awaiting signature", s["sent"], "?status=sent"),
        Card("mine", "Waiting for me", overview.waiting_for_me, "?show=mine", "Your turn to sign"),
    ]


def finished_cards(overview: Overview) -> list[Card]:
    f = overview.finished
    return [
        Card(status, label, f[status], f"?status={status}")
        for status, label in [
            ("completed", "Completed"),
            ("declined", "Declined"),
            ("voided", "Voided"),
            ("expired", "Expired"),
        ]
    ]


@role_required("view")
@require_GET
def dashboard(request):
    overview = dashboard_overview(request.org, request.user, period=request.GET.get("period", ""))
    context = {"overview": overview, "periods": PERIODS.items(), "period_label": PERIODS[overview.period]}
    if not overview.total:
        return render(request, "portal/dashboard.html", context)  # the getting-started steps
    context["now_cards"] = now_cards(overview)
    context["finished_cards"] = finished_cards(overview)
    context["signers"] = participants_outstanding(request.org)[:SIGNERS_SHOWN]
    context["feed"] = activity_feed(request.org)
    if request.htmx and not request.htmx.boosted:
        return render(request, "portal/dashboard.html#live", context)
    return render(request, "portal/dashboard.html", context)


@role_required("view")
@require_GET
def dashboard_trends(request):
    """The charts: a fragment the dashboard loads, or a page of their own without JavaScript."""
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else DEFAULT_PERIOD
    weeks = weekly_series(request.org)
    accounts = finished_by_account(request.org, period=period)
    charts = [weekly_volume_chart(weeks), median_chart(weeks), completion_rate_chart(accounts, PERIODS[period])]
    template = "portal/trends.html#charts" if request.htmx and not request.htmx.boosted else "portal/trends.html"
    return render(request, template, {"charts": charts, "period": period})
