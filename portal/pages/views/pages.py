"""The portal's shell: home, and the welcome page for people with no organization."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal.kernel.tenancy import organization_choose
from portal.pages.forms import OrganizationCreateForm
from portal.selectors import invitations_open_for_user
from portal.services import organization_create


def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return redirect("account_login")


@login_required
def welcome(request):
    """After sign-up: create an organization, or accept an invitation sent to this address."""
    return render(
        request,
        "portal/welcome.html",
        {"form": OrganizationCreateForm(), "invitations": invitations_open_for_user(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_new(request):
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        org = organization_create(name=form.cleaned_data["name"], owner=request.user)
        organization_choose(request, org)
        messages.success(request, f"{org.name} is ready. Invite your colleagues from Settings.")
        return redirect("dashboard")
    return render(request, "portal/organization_new.html", {"form": form})
