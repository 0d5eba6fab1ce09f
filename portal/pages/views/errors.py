"""Friendly error pages."""

from __future__ import annotations

from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    """A form sent from a stale page or another site: say what to do instead of Django's debug text."""
    return render(request, "csrf_failure.html", status=403)
