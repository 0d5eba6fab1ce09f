"""An envelope's page: status, documents, participants, audit trail, and what may be done next."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from envelopes.composing.participants import participant_change_contact, signing_summary
from envelopes.composing.templating import template_from_envelope
from envelopes.forms import TemplateNameForm, VoidForm
from envelopes.models import Envelope, EnvelopeStatus, Participant
from envelopes.reads.selectors import envelope_events, envelope_for_detail
from envelopes.services import (
    envelope_delete,
    envelope_duplicate,
    envelope_remind,
    envelope_retry,
    envelope_void,
)
from portal.kernel.roles import can, role_required
from portal.kernel.tenancy import org_get_or_404
from portal.pages.feedback import report_outcome
from providers.registry import provider_class, provider_exists

# How often the page re-reads the envelope while something may change by itself: quickly while it
# is being handed to the provider, then while signatures are awaited (webhooks, signers).
POLL_EVERY = {EnvelopeStatus.QUEUED: "2s", EnvelopeStatus.SENDING: "2s", EnvelopeStatus.SENT: "5s"}


def detail_context(request, envelope: Envelope, **extra) -> dict:
    people = list(envelope.participants.all())
    may_send = can(request.membership, "send")
    context = {
        "envelope": envelope,
        "documents": list(envelope.documents.all()),
        "participants": people,
        "summary": signing_summary(people),
        "events": envelope_events(envelope)[:200],
        "provider_name": provider_class(envelope.provider).name if provider_exists(envelope.provider) else "",
        "poll_every": POLL_EVERY.get(envelope.status),
        "may_send": may_send,
        "may_remind": may_send and envelope.status == EnvelopeStatus.SENT,
        "may_void": may_send and envelope.status in {EnvelopeStatus.QUEUED, EnvelopeStatus.SENT, EnvelopeStatus.FAILED},
        "may_change_contact": may_send and envelope.status == EnvelopeStatus.SENT,
        "void_form": VoidForm(provider_id=envelope.provider),
        "template_form": TemplateNameForm(initial={"name": envelope.title}),
    }
    context.update(extra)
    return context


@role_required("view")
@require_GET
def envelope_detail(request, envelope_id: int):
    envelope = envelope_for_detail(request.org, envelope_id)
    return render(request, "envelopes/detail.html", detail_context(request, envelope))


@role_required("view")
@require_GET
def envelope_status(request, envelope_id: int):
    """The page's main column alone (status, participants, audit trail), polled by htmx while the
    envelope is being sent or awaits signatures; once nothing is pending it comes back without the
    polling trigger."""
    envelope = envelope_for_detail(request.org, envelope_id)
    return render(request, "envelopes/detail.html#detail-main", detail_context(request, envelope))


def _run(request, envelope: Envelope, action, done: str):
    report_outcome(request, action, done=done)
    return redirect("envelope_detail", envelope_id=envelope.pk)


@role_required("send")
@require_POST
def envelope_void_view(request, envelope_id: int):
    envelope = org_get_or_404(Envelope, request.org, pk=envelope_id)
    form = VoidForm(request.POST, provider_id=envelope.provider)
    if not form.is_valid():
        return render(
            request,
            "envelopes/detail.html",
            detail_context(request, envelope_for_detail(request.org, envelope_id), void_form=form),
            status=400,
        )
    return _run(
        request,
        envelope,
        lambda: envelope_void(envelope=envelope, actor=request.user, reason=form.cleaned_data["reason"]),
        done="The envelope was voided; its links no longer work.",
    )


@role_required("send")
@require_POST
def envelope_remind_view(request, envelope_id: int):
    envelope = org_get_or_404(Envelope, request.org, pk=envelope_id)
    try:
        outcome = envelope_remind(envelope=envelope, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if outcome.reminded:
            messages.success(request, "Reminded " + ", ".join(p.name for p in outcome.reminded) + ".")
        for name, why in outcome.not_reminded.items():
            messages.warning(request, f"{name} was not reminded: {why}")
    return redirect("envelope_detail", envelope_id=envelope.pk)


@role_required("send")
@require_POST
def envelope_retry_view(request, envelope_id: int):
    envelope = org_get_or_404(Envelope, request.org, pk=envelope_id)
    return _run(request, envelope, lambda: envelope_retry(envelope=envelope, actor=request.user), done="Sending again.")


@role_required("send")
@require_POST
def envelope_duplicate_view(request, envelope_id: int):
    envelope = org_get_or_404(Envelope, request.org, pk=envelope_id)
    copy = envelope_duplicate(envelope=envelope, actor=request.user)
    messages.success(request, f"This is a copy of “{envelope.title}”. Change what you need and send it.")
    return redirect("envelope_compose", envelope_id=copy.pk)


@role_required("send")
@require_POST
def envelope_save_template(request, envelope_id: int):
    envelope = org_get_or_404(Envelope, request.org, pk=envelope_id)
    form = TemplateNameForm(request.POST)
    if form.is_valid():
        try:
            template = template_from_envelope(envelope=envelope, actor=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error("name", exc.messages)
        else:
            messages.success(request, f"Saved as the template “{template.name}”.")
            return redirect("template_edit", template_id=template.pk)
    return render(
        request,
        "envelopes/detail.html",
        detail_context(request, envelope_for_detail(request.org, envelope_id), template_form=form),
        status=400,
    )


@role_required("send")
@require_POST
def envelope_delete_view(request, envelope_id: int):
    envelope = org_get_or_404(Envelope, request.org, pk=envelope_id)
    try:
        envelope_delete(envelope=envelope)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("envelope_detail", envelope_id=envelope.pk)
    messages.success(request, f"The draft “{envelope.title}” was deleted.")
    return redirect("envelope_list")


@role_required("send")
@require_POST
def participant_contact(request, participant_id: int):
    participant = org_get_or_404(Participant, request.org, pk=participant_id)
    envelope = participant.envelope
    return _run(
        request,
        envelope,
        lambda: participant_change_contact(
            participant=participant,
            actor=request.user,
            email=request.POST.get("email", ""),
            phone=request.POST.get("phone", ""),
        ),
        done=f"{participant.name}'s contact details were changed; a new invitation goes to them.",
    )
