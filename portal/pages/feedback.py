"""Telling the user how a service call went."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError

# The status of an htmx partial that shows a form's errors. base.html configures htmx to swap it
# like a success, so the section shows its errors in place; plain 400s stay errors htmx does not
# swap (and that DEBUG's error page takes over), which must never happen to a form's answer.
FORM_INVALID = 422


def report_outcome(request, action: Callable[[], object], *, done: str, refused_level: int = messages.ERROR) -> bool:
    """Runs `action`; shows `done` when it succeeds, or the refusal's sentences when it raises
    ValidationError. Returns whether it succeeded."""
    try:
        action()
    except ValidationError as exc:
        messages.add_message(request, refused_level, " ".join(exc.messages))
        return False
    messages.success(request, done)
    return True
