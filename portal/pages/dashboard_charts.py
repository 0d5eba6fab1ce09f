"""The dashboard's charts: envelopes sent and completed per week, the median time to complete per
week, and the completion rate of each provider account."""

from __future__ import annotations

from envelopes.reads.dashboard import Account, Week
from portal.pages.charts import Chart, bar_chart, column_chart


def duration_words(hours: float | None) -> str:
    """3.2 → "about 3 hours"; 60 → "about 2.5 days"; the histogram's last bucket reads "30+ days"."""
    if hours is None:
        return "none completed"
    if hours < 1:
        return "under an hour"
    if hours < 48:
        return f"about {round(hours)} hours"
    if hours >= 720:
        return "more than 30 days"
    return f"about {round(hours / 24 * 2) / 2:g} days"


def _week_label(week: Week) -> str:
    return f"{week.start.day} {week.start:%b}"


def weekly_volume_chart(weeks: list[Week]) -> Chart:
    sent, completed = sum(w.sent for w in weeks), sum(w.completed for w in weeks)
    busiest = max(weeks, key=lambda w: w.sent)
    summary = f"In the last {len(weeks)} weeks: {sent:,} sent, {completed:,} completed"
    summary += f"; the busiest week began {_week_label(busiest)} ({busiest.sent:,} sent)." if sent else "."
    return column_chart(
        title="Sent and completed per week",
        categories=[_week_label(w) for w in weeks],
        series=[
            ("series-sent", "Sent", [w.sent for w in weeks]),
            ("series-completed", "Completed", [w.completed for w in weeks]),
        ],
        value_words=lambda v: f"{v:,.0f}",
        summary=summary,
        least_top=4,
    )


def median_chart(weeks: list[Week]) -> Chart:
    """Days on the axis; weeks with no completions have no bar."""
    known = [w for w in weeks if w.median_hours is not None]
    if known:
        latest = known[-1]
        summary = "Median time from sending to completion, per week (approximate); in the week of "
        summary += f"{_week_label(latest)} it was {duration_words(latest.median_hours)}."
    else:
        summary = "No envelope was completed in these weeks."
    return column_chart(
        title="Median time to complete (days, approximate)",
        categories=[_week_label(w) for w in weeks],
        series=[("series-duration", "Median", [(w.median_hours or 0) / 24 for w in weeks])],
        value_words=lambda days: duration_words(days * 24) if days else "none completed",
        summary=summary,
    )


def completion_rate_chart(accounts: list[Account], period_label: str) -> Chart:
    items = [
        (account.name, account.completion_rate, f"{account.completion_rate:.0%}")
        for account in accounts
        if account.completion_rate is not None
    ]
    if items:
        best = max(items, key=lambda item: item[1])
        summary = f"Share of finished envelopes that were completed ({period_label.lower()}); highest: "
        summary += f"{best[0]} at {best[2]}."
    else:
        summary = f"No envelope finished ({period_label.lower()})."
    return bar_chart(title="Completion rate by provider", items=items, summary=summary, css="series-rate")
