"""Signer tracking: everyone whose turn it is across the organization's envelopes, sortable and
filterable, with a one-click reminder per person or for a selection."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from envelopes.reads.dashboard import org_accounts
from envelopes.reads.tracking import OVERDUE_AFTER, SORTS, tracking_page, tracking_remind
from portal.kernel.roles import role_required


@role_required("view")
@require_GET
def signer_tracking(request):
    filters = {
        "account": request.GET.get("account", ""),
        "overdue": request.GET.get("overdue") == "1",
        "sort": request.GET.get("sort") if request.GET.get("sort") in SORTS else "waiting",
    }
    page_number = request.GET.get("page", "1")
    page = tracking_page(request.org, page=int(page_number) if page_number.isdigit() else 1, **filters)
    context = {
        "page": page,
        **filters,
        "sorts": [(key, label) for key, (_, label) in SORTS.items()],
        "accounts": org_accounts(request.org),
        "overdue_days": OVERDUE_AFTER.days,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "envelopes/tracking.html#rows", context)
    return render(request, "envelopes/tracking.html", context)


@role_required("send")
@require_POST
def signer_remind(request):
    """Reminds one person (the row's button) or the selected ones, and says who was not and why."""
    chosen = request.POST.getlist("one") or request.POST.getlist("ids")
    ids = [int(pk) for pk in chosen if pk.isdigit()]
    if not ids:
        messages.error(request, "Select one or more people to remind first.")
    else:
        report = tracking_remind(org=request.org, participant_ids=ids, actor=request.user)
        if report.reminded:
            messages.success(request, "Reminded " + ", ".join(report.reminded) + ".")
        for name, why in report.not_reminded[:10]:
            messages.warning(request, f"{name} was not reminded: {why}")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("signer_tracking")
    return redirect(back)
