"""Members and invitations on the settings page (admins and owners)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portal.kernel.roles import role_required
from portal.kernel.tenancy import org_get_or_404
from portal.models import Invitation, Membership, Role
from portal.pages.feedback import FORM_INVALID, report_outcome
from portal.pages.forms import InvitationForm, MemberRoleForm
from portal.pages.views.organization import settings_context
from portal.services import (
    invitation_create,
    invitation_resend,
    invitation_revoke,
    membership_change_role,
    membership_remove,
)


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _do_and_report(request, action, *, done: str, refused_level=messages.ERROR):
    """Runs a service call, tells the user how it went, and goes back to the settings page."""
    report_outcome(request, action, done=done, refused_level=refused_level)
    return redirect("organization_settings")


@role_required("manage")
@require_POST
def member_role(request, membership_id: int):
    """Changes a member's role in place (htmx swaps the row) or via a normal post."""
    membership = org_get_or_404(Membership, request.org, pk=membership_id)
    form = MemberRoleForm(request.POST)
    error = None
    if not form.is_valid():
        error = "Choose one of the listed roles."
    else:
        try:
            membership_change_role(membership=membership, role=form.cleaned_data["role"], actor=request.membership)
        except ValidationError as exc:
            error = _error_text(exc)
            membership.refresh_from_db()
    if request.htmx:
        context = {"member": membership, "role_choices": Role.choices, "row_error": error, "row_saved": not error}
        return render(request, "portal/settings.html#member-row", context, status=FORM_INVALID if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{membership.user.email} is now {membership.get_role_display().lower()}.")
    return redirect("organization_settings")


@role_required("manage")
@require_POST
def member_remove(request, membership_id: int):
    membership = org_get_or_404(Membership, request.org, pk=membership_id)
    return _do_and_report(
        request,
        lambda: membership_remove(membership=membership, actor=request.membership),
        done=f"{membership.user.email} was removed from {request.org.name}.",
    )


@role_required("manage")
@require_POST
def invitation_new(request):
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = invitation_create(org=request.org, invited_by=request.membership, **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field, errors)
            else:
                messages.warning(request, _error_text(exc))
                return redirect("organization_settings")
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("organization_settings")
    return render(request, "portal/settings.html", settings_context(request, invite_form=form), status=400)


@role_required("manage")
@require_POST
def invitation_resend_view(request, invitation_id: int):
    invitation = org_get_or_404(Invitation, request.org, pk=invitation_id, accepted_at=None)
    return _do_and_report(
        request,
        lambda: invitation_resend(invitation=invitation, actor=request.membership),
        done=f"A new invitation was sent to {invitation.email}; the earlier link no longer works.",
        refused_level=messages.WARNING,
    )


@role_required("manage")
@require_POST
def invitation_revoke_view(request, invitation_id: int):
    invitation = org_get_or_404(Invitation, request.org, pk=invitation_id)
    invitation_revoke(invitation=invitation)
    messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect("organization_settings")
