"""Filters for the dashboard's figures."""

from __future__ import annotations

from django import template

from portal.pages.dashboard_charts import duration_words as _duration_words

register = template.Library()


@register.filter
def number(value) -> str:
    """12345 → "12,345"."""
    return f"{value or 0:,}"


@register.filter
def duration_words(hours) -> str:
    return _duration_words(hours)
