"""Background work owned by the portal layer. Tasks are thin: they call a service."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.utils import timezone


def sessions_clear() -> int:
    """Deletes expired sessions so the session table does not grow forever; returns how many."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
