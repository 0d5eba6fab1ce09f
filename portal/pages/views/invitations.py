"""Accepting an invitation: from its e-mailed link, or from the welcome page once the
invited address is verified."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from portal.kernel.tenancy import organization_choose
from portal.models import Invitation
from portal.selectors import invitations_open_for_user
from portal.services import invitation_accept, invitation_find, invitation_problem

INVALID_LINK = "This invitation link is not valid. Check that you copied the whole link from the e-mail."


def _join(request, invitation: Invitation):
    """Accepts for the signed-in user and opens the organization; None with the reason when refused."""
    try:
        membership = invitation_accept(invitation=invitation, user=request.user)
    except ValidationError as exc:
        return None, " ".join(exc.messages)
    organization_choose(request, membership.org)
    messages.success(request, f"Welcome to {membership.org.name}.")
    return redirect("dashboard"), None


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request, token: str):
    invitation = invitation_find(token)
    if invitation is None:
        return render(request, "portal/invitation_invalid.html", {"problem": INVALID_LINK}, status=404)
    problem = invitation_problem(invitation=invitation, user=request.user)
    if request.method == "POST" and request.user.is_authenticated and not problem:
        response, problem = _join(request, invitation)
        if response:
            return response
    return render(
        request,
        "portal/invitation_accept.html",
        {"invitation": invitation, "problem": problem},
        status=400 if problem else 200,
    )


@login_required
@require_POST
def invitation_join(request, invitation_id: int):
    """From the welcome page: only invitations to the user's own verified addresses are found."""
    invitation = get_object_or_404(invitations_open_for_user(request.user), pk=invitation_id)
    response, problem = _join(request, invitation)
    if response:
        return response
    messages.error(request, problem)
    return redirect("welcome")
