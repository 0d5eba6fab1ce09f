"""Which organization a request acts for, and the one way to fetch what it owns."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from portal.models import Membership, Organization

M = TypeVar("M", bound=Model)

SESSION_KEY = "paraph_org_id"


def org_scoped(model: type[M], org: Organization | None) -> QuerySet[M]:
    """Every org-owned query starts here. A model names the path to its organization
    in `org_path` ("org", "envelope__org", or "self" for Organization itself)."""
    if org is None:
        return model._default_manager.none()
    path = model.org_path
    lookup = {"pk": org.pk} if path == "self" else {path: org}
    return model._default_manager.filter(**lookup)


def org_get_or_404(model: type[M], org: Organization | None, **lookup) -> M:
    """One org-owned object, or 404 — also when it exists but belongs to another organization."""
    try:
        return org_scoped(model, org).get(**lookup)
    except (model.DoesNotExist, ValueError):
        raise Http404(f"No {model._meta.verbose_name} here.") from None


def membership_for(user, org_id: int | None) -> Membership | None:
    """The user's membership in the organization they last chose, or their first one."""
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=user).select_related("org")
    if org_id is not None:
        chosen = memberships.filter(org_id=org_id).first()
        if chosen is not None:
            return chosen
    return memberships.order_by("org__name", "org_id").first()


class CurrentOrganizationMiddleware:
    """Sets `request.membership` and `request.org` (both None for visitors and for
    users who belong to no organization yet)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = membership_for(request.user, request.session.get(SESSION_KEY))
        request.membership = membership
        request.org = membership.org if membership else None
        if membership and request.session.get(SESSION_KEY) != membership.org_id:
            request.session[SESSION_KEY] = membership.org_id
        return self.get_response(request)


def organization_choose(request, org: Organization) -> None:
    """Remember the organization the user works in from now on."""
    request.session[SESSION_KEY] = org.pk
