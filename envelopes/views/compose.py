"""Composing a draft: settings, documents, participants, placement, summary and Send.

Each section is a named partial of envelopes/compose.html; htmx posts swap just that section
and send an `envelope-changed` event so the summary refreshes itself.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from envelopes.composing.documents import document_add, document_remove, document_reorder
from envelopes.composing.participants import (
    envelope_set_signing_order,
    participant_add,
    participant_move,
    participant_place,
    participant_remove,
    participant_update,
    signing_summary,
)
from envelopes.forms import EnvelopeSettingsForm, ParticipantForm, PlacementForm
from envelopes.models import Document, Envelope, Participant, Template
from envelopes.outgoing.sending import send_problems
from envelopes.services import envelope_create, envelope_send, envelope_update
from portal.kernel.roles import role_required
from portal.kernel.tenancy import org_get_or_404, org_scoped
from portal.pages.feedback import FORM_INVALID

CHANGED = {"HX-Trigger": "envelope-changed"}
# The New envelope page lists this many templates; the Templates page has them all.
NEW_PAGE_TEMPLATES = 20


def _draft_or_detail(request, envelope: Envelope):
    """Sent envelopes are read-only: their compose URLs lead to the detail page."""
    if envelope.is_draft:
        return None
    messages.info(request, "This envelope has been sent and can no longer be changed.")
    if request.htmx:
        # A swap would paste the whole detail page into one section: send the browser there instead.
        return HttpResponseClientRedirect(reverse("envelope_detail", args=[envelope.pk]))
    return redirect("envelope_detail", envelope_id=envelope.pk)


def _try(request, action) -> None:
    """Runs a service call; a refusal becomes a message, and the section is shown again either way."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def compose_context(envelope: Envelope, **extra) -> dict:
    documents = list(envelope.documents.all())
    people = list(envelope.participants.prefetch_related("fields__document").all())
    context = {
        "envelope": envelope,
        "documents": documents,
        "participants": people,
        "sequential": len({p.order for p in people}) > 1,
        "summary": signing_summary(people),
        "problems": send_problems(envelope),
        "settings_form": EnvelopeSettingsForm(instance=envelope),
        "add_form": ParticipantForm(provider_id=envelope.provider, prefix="new"),
    }
    context.update(extra)
    return context


def _section(request, envelope: Envelope, partial: str, status: int = 200, **extra) -> HttpResponse:
    response = render(request, f"envelopes/compose.html#{partial}", compose_context(envelope, **extra), status=status)
    if status == 200:
        for header, value in CHANGED.items():
            response[header] = value
    return response


def _load(request, envelope_id: int) -> Envelope:
    return org_get_or_404(Envelope, request.org, pk=envelope_id)


@role_required("send")
@require_http_methods(["GET", "POST"])
def envelope_new(request):
    """POST starts a draft. A GET (a bookmarked or typed address) must not create one, so it
    shows the way to start: from scratch or from one of the organization's templates."""
    if request.method == "GET":
        templates = org_scoped(Template, request.org).only("pk", "name")[:NEW_PAGE_TEMPLATES]
        return render(request, "envelopes/envelope_new.html", {"templates": templates})
    envelope = envelope_create(org=request.org, actor=request.user)
    return redirect("envelope_compose", envelope_id=envelope.pk)


@role_required("send")
@require_GET
def envelope_compose(request, envelope_id: int):
    envelope = _load(request, envelope_id)
    return _draft_or_detail(request, envelope) or render(request, "envelopes/compose.html", compose_context(envelope))


@role_required("send")
@require_GET
def envelope_summary(request, envelope_id: int):
    envelope = _load(request, envelope_id)
    return render(request, "envelopes/compose.html#summary", compose_context(envelope))


@role_required("send")
@require_POST
def envelope_settings(request, envelope_id: int):
    envelope = _load(request, envelope_id)
    if redirect_response := _draft_or_detail(request, envelope):
        return redirect_response
    form = EnvelopeSettingsForm(request.POST, instance=Envelope.objects.get(pk=envelope.pk))
    if form.is_valid():
        try:
            envelope_update(envelope=envelope, actor=request.user, **form.settings())
        except ValidationError as exc:
            _apply_errors(form, exc)
    if form.errors:
        if not request.htmx:
            return render(request, "envelopes/compose.html", compose_context(envelope, settings_form=form), status=400)
        return _section(request, envelope, "settings", status=FORM_INVALID, settings_form=form)
    if not request.htmx:
        messages.success(request, "Saved.")
        return redirect("envelope_compose", envelope_id=envelope.pk)
    return _section(
        request, envelope, "settings", settings_saved=True, settings_form=EnvelopeSettingsForm(instance=envelope)
    )


@role_required("send")
@require_POST
def envelope_documents(request, envelope_id: int):
    """Uploads one or more PDFs; each refused file is named with the reason, the others are kept."""
    envelope = _load(request, envelope_id)
    if redirect_response := _draft_or_detail(request, envelope):
        return redirect_response
    kind = request.POST.get("kind", "sign")
    refused = []
    uploads = request.FILES.getlist("files")
    if not uploads:
        refused.append("Choose one or more PDF files to upload.")
    for upload in uploads:
        try:
            document_add(envelope=envelope, upload=upload, kind=kind, actor=request.user)
        except ValidationError as exc:
            refused.extend(exc.messages)
    if not request.htmx:
        for problem in refused:
            messages.error(request, problem)
        return redirect("envelope_compose", envelope_id=envelope.pk)
    return _section(request, envelope, "documents", document_errors=refused)


@role_required("send")
@require_POST
def document_move(request, document_id: int):
    document = org_get_or_404(Document, request.org, pk=document_id)
    envelope = document.envelope
    ids = list(envelope.documents.values_list("pk", flat=True))
    index = ids.index(document.pk)
    target = index + (1 if request.POST.get("direction") == "down" else -1)
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
        _try(request, lambda: document_reorder(envelope=envelope, ordered_ids=ids, actor=request.user))
    return _section_or_page(request, envelope, "documents")


@role_required("send")
@require_POST
def document_delete(request, document_id: int):
    document = org_get_or_404(Document, request.org, pk=document_id)
    envelope = document.envelope
    _try(request, lambda: document_remove(document=document, actor=request.user))
    return _section_or_page(request, envelope, "documents")


def _section_or_page(request, envelope: Envelope, partial: str):
    if request.htmx:
        return _section(request, envelope, partial)
    return redirect("envelope_compose", envelope_id=envelope.pk)


@role_required("send")
@require_POST
def participant_new(request, envelope_id: int):
    envelope = _load(request, envelope_id)
    if redirect_response := _draft_or_detail(request, envelope):
        return redirect_response
    form = ParticipantForm(request.POST, provider_id=envelope.provider, prefix="new")
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if not (k == "order" and v is None)}
        try:
            participant_add(envelope=envelope, actor=request.user, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
    if form.errors:
        if not request.htmx:
            return render(request, "envelopes/compose.html", compose_context(envelope, add_form=form), status=400)
        return _section(request, envelope, "participants", status=FORM_INVALID, add_form=form)
    return _section_or_page(request, envelope, "participants")


@role_required("send")
@require_POST
def signing_order(request, envelope_id: int):
    envelope = _load(request, envelope_id)
    if redirect_response := _draft_or_detail(request, envelope):
        return redirect_response
    envelope_set_signing_order(
        envelope=envelope, sequential=request.POST.get("mode") == "sequential", actor=request.user
    )
    return _section_or_page(request, envelope, "participants")


def _participant_forms(participant: Participant, data=None) -> tuple[ParticipantForm, PlacementForm]:
    envelope = participant.envelope
    box = participant.fields.first()
    placement_initial = {"document": str(box.document_id), "page": box.page, "x": box.x, "y": box.y} if box else {}
    form = ParticipantForm(data, instance=participant, provider_id=envelope.provider, prefix=f"p{participant.pk}")
    placement = PlacementForm(
        data, initial=placement_initial, documents=list(envelope.documents.all()), prefix=f"p{participant.pk}"
    )
    return form, placement


@role_required("send")
def participant_row(request, participant_id: int):
    """GET: the row (or, with ?edit=1, its edit form). POST: save the edit."""
    participant = org_get_or_404(Participant, request.org, pk=participant_id)
    envelope = participant.envelope
    if redirect_response := _draft_or_detail(request, envelope):
        return redirect_response
    if request.method == "GET":
        form, placement = _participant_forms(participant)
        partial = "participant-form" if request.GET.get("edit") else "participant-row"
        return render(
            request,
            f"envelopes/compose.html#{partial}",
            {**compose_context(envelope), "person": participant, "form": form, "placement": placement},
        )
    form, placement = _participant_forms(participant, request.POST)
    if form.is_valid() and placement.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if not (k == "order" and v is None)}
        try:
            with transaction.atomic():
                _save_participant(participant, request.user, data, placement)
        except ValidationError as exc:
            _apply_errors(form, exc)
    if form.errors or placement.errors:
        participant.refresh_from_db()
        context = {**compose_context(envelope), "person": participant, "form": form, "placement": placement}
        if not request.htmx:
            messages.error(request, "The participant was not saved; open Edit again to see why.")
            return redirect("envelope_compose", envelope_id=envelope.pk)
        return render(request, "envelopes/compose.html#participant-form", context, status=FORM_INVALID)
    if request.htmx:
        # The edit form stands in for one row; the saved answer is the whole section, so it must
        # replace the section, not be nested inside the row.
        return reswap(retarget(_section(request, envelope, "participants"), "#participants"), "outerHTML")
    return redirect("envelope_compose", envelope_id=envelope.pk)


def _save_participant(participant: Participant, actor, data: dict, placement: PlacementForm) -> None:
    participant_update(participant=participant, actor=actor, **data)
    document = placement.documents.get(placement.cleaned_data.get("document") or "")
    participant_place(
        participant=participant,
        document=document,
        page=placement.cleaned_data.get("page") or 1,
        x=placement.cleaned_data.get("x") or 0,
        y=placement.cleaned_data.get("y") or 0,
        actor=actor,
    )


@role_required("send")
@require_POST
def participant_reorder(request, participant_id: int):
    participant = org_get_or_404(Participant, request.org, pk=participant_id)
    offset = 1 if request.POST.get("direction") == "down" else -1
    _try(request, lambda: participant_move(participant=participant, offset=offset, actor=request.user))
    return _section_or_page(request, participant.envelope, "participants")


@role_required("send")
@require_POST
def participant_delete(request, participant_id: int):
    participant = org_get_or_404(Participant, request.org, pk=participant_id)
    envelope = participant.envelope
    _try(request, lambda: participant_remove(participant=participant, actor=request.user))
    return _section_or_page(request, envelope, "participants")


@role_required("send")
@require_POST
def envelope_send_view(request, envelope_id: int):
    envelope = _load(request, envelope_id)
    try:
        envelope_send(envelope=envelope, actor=request.user)
    except ValidationError as exc:
        envelope.refresh_from_db()
        if envelope.is_draft:
            return render(
                request, "envelopes/compose.html", compose_context(envelope, send_refused=exc.messages), status=400
            )
        messages.info(request, " ".join(exc.messages))
        return redirect("envelope_detail", envelope_id=envelope.pk)
    messages.success(request, f"“{envelope.title}” is on its way. Its progress shows here.")
    return redirect("envelope_detail", envelope_id=envelope.pk)
