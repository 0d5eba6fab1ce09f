"""The envelope list: status chips with counts, search, sort, cursor pages, bulk actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from envelopes.models import Envelope, EnvelopeStatus
from envelopes.reads.selectors import SHOWS, SORTS, envelope_page, envelope_status_counts, statuses_chosen
from envelopes.services import envelope_remind, envelope_void
from portal.kernel.roles import role_required
from portal.kernel.tenancy import org_scoped

CHIPS = [("", "All"), *[(value, label) for value, label in EnvelopeStatus.choices]]
BULK_LIMIT = 100


@role_required("view")
@require_GET
def envelope_list(request):
    status = ",".join(statuses_chosen(request.GET.get("status", "")))
    show = request.GET.get("show", "") if request.GET.get("show") in SHOWS else ""
    q = request.GET.get("q", "").strip()
    sort = request.GET.get("sort", "newest")
    page = envelope_page(
        request.org,
        status=status,
        q=q,
        show=show,
        user=request.user,
        sort=sort,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    counts = envelope_status_counts(request.org)
    context = {
        "page": page,
        "status": status,
        "show": show,
        "show_label": SHOWS.get(show, ""),
        "q": q,
        "sort": sort if sort in SORTS else "newest",
        "sorts": [(key, label) for key, (_, label) in SORTS.items()],
        "chips": [(value, label, counts["all" if not value else value]) for value, label in CHIPS],
        "total": counts["all"],
    }
    template = (
        "envelopes/envelope_list.html#results"
        if request.htmx and not request.htmx.boosted
        else ("envelopes/envelope_list.html")
    )
    return render(request, template, context)


@role_required("send")
@require_POST
def envelope_bulk(request):
    """Remind or void the selected envelopes; reports what was done and what was not, and why."""
    ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isdigit()][:BULK_LIMIT]
    action = request.POST.get("action")
    envelopes = list(org_scoped(Envelope, request.org).filter(pk__in=ids))
    if not envelopes:
        messages.error(request, "Select one or more envelopes first.")
        return redirect("envelope_list")
    reason = request.POST.get("reason", "").strip()
    if action == "void" and not reason:
        messages.error(request, "Give a reason for voiding; the participants are told.")
        return redirect("envelope_list")
    done, refused = 0, []
    for envelope in envelopes:
        try:
            if action == "void":
                envelope_void(envelope=envelope, actor=request.user, reason=reason)
            else:
                envelope_remind(envelope=envelope, actor=request.user)
            done += 1
        except ValidationError as exc:
            refused.append(f"{envelope.title}: {' '.join(exc.messages)}")
    verb = "Voided" if action == "void" else "Sent reminders for"
    if done:
        messages.success(request, f"{verb} {done} envelope{'s' if done != 1 else ''}.")
    for problem in refused[:10]:
        messages.warning(request, problem)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("envelope_list")
    return redirect(back)
