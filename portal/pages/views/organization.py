"""Organization settings, switching and deletion."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from portal.kernel.roles import can, role_required
from portal.kernel.tenancy import organization_choose
from portal.models import Organization, Role
from portal.pages.forms import InvitationForm, OrganizationDeleteForm, OrganizationSettingsForm
from portal.selectors import invitations_open_for_org, members_of_org, memberships_of_user
from portal.services import organization_delete


def settings_context(request, **overrides) -> dict:
    org = request.org
    context = {
        "form": OrganizationSettingsForm(instance=org),
        "invite_form": InvitationForm(),
        "members": members_of_org(org),
        "role_choices": Role.choices,
        "invitations": invitations_open_for_org(org) if can(request.membership, "manage") else [],
    }
    context.update(overrides)
    return context


@role_required("view")
@require_http_methods(["GET", "POST"])
def organization_settings(request):
    """Everyone sees the members; admins edit the organization's name and defaults."""
    if request.method == "POST":
        if not can(request.membership, "manage"):
            raise PermissionDenied("Only admins and owners can change the organization's settings.")
        form = OrganizationSettingsForm(request.POST, instance=request.org)
        if form.is_valid():
            form.save()
            messages.success(request, "Settings saved.")
            return redirect("organization_settings")
        return render(request, "portal/settings.html", settings_context(request, form=form), status=400)
    return render(request, "portal/settings.html", settings_context(request))


@login_required
@require_POST
def organization_switch(request, org_slug: str):
    """Work in another of the user's organizations; a non-member gets 404."""
    membership = get_object_or_404(memberships_of_user(request.user), org__slug=org_slug)
    organization_choose(request, membership.org)
    messages.info(request, f"Now working in {membership.org.name}.")
    return redirect("dashboard")


@role_required("delete_org")
@require_http_methods(["GET", "POST"])
def organization_delete_view(request):
    org: Organization = request.org
    form = OrganizationDeleteForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        name = org.name
        organization_delete(org=org, actor=request.user)
        messages.success(request, f"{name} and everything it held were deleted.")
        return redirect("dashboard")
    return render(request, "portal/organization_delete.html", {"form": form}, status=400 if form.errors else 200)
