"""Who may do what: the one place role checks live."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from portal.models import Membership, Role

# The least role that may take each action.
ACTION_MIN_ROLE: dict[str, Role] = {
    "view": Role.VIEWER,
    "send": Role.SENDER,
    "manage": Role.ADMIN,
    "delete_org": Role.OWNER,
}

ACTION_DENIED = {
    "view": "You are not a member of this organization.",
    "send": "Viewers can look but not create or send. Ask an admin of your organization for the sender role.",
    "manage": "Only admins and owners can change members, connections and policies.",
    "delete_org": "Only an owner can delete the organization.",
}


def can(membership: Membership | None, action: str) -> bool:
    if membership is None:
        return False
    return membership.role_enum.at_least(ACTION_MIN_ROLE[action])


def org_permissions(membership: Membership | None) -> dict[str, bool]:
    """For templates: {"view": True, "send": False, …}."""
    return {action: can(membership, action) for action in ACTION_MIN_ROLE}


def role_required(action: str):
    """View decorator: signed in, a member of the current organization, and allowed `action`.
    Users with no organization are sent to the welcome page; a too-small role gets a 403 page."""
    if action not in ACTION_MIN_ROLE:
        raise ValueError(f"Unknown action {action!r}")

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if request.membership is None:
                return redirect("welcome")
            if not can(request.membership, action):
                raise PermissionDenied(ACTION_DENIED[action])
            return view(request, *args, **kwargs)

        wrapped.required_action = action
        return wrapped

    return decorator
