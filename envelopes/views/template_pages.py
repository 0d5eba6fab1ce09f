"""Templates: list, edit (defaults, roles, documents) and use."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from envelopes.composing.documents import template_document_add, template_document_remove
from envelopes.composing.templating import (
    envelope_from_template,
    template_role_add,
    template_role_remove,
    template_role_rename,
    template_update,
)
from envelopes.forms import TemplateForm, TemplateRoleForm, TemplateRoleNameForm
from envelopes.models import Template, TemplateDocument, TemplateRole
from portal.kernel.roles import role_required
from portal.kernel.tenancy import org_get_or_404, org_scoped


@role_required("view")
def template_list(request):
    templates = org_scoped(Template, request.org).annotate(
        document_count=Count("documents", distinct=True), role_count=Count("roles", distinct=True)
    )
    return render(request, "envelopes/template_list.html", {"templates": templates})


def _edit_context(template: Template, **extra) -> dict:
    return {
        "template": template,
        "form": TemplateForm(instance=template),
        "role_form": TemplateRoleForm(provider_id=template.provider),
        "roles": list(template.roles.prefetch_related("fields__document")),
        "documents": list(template.documents.all()),
        **extra,
    }


@role_required("send")
@require_http_methods(["GET", "POST"])
def template_edit(request, template_id: int):
    template = org_get_or_404(Template, request.org, pk=template_id)
    if request.method == "POST":
        form = TemplateForm(request.POST, instance=Template.objects.get(pk=template.pk))
        if form.is_valid():
            template_update(template=template, **form.cleaned_data)
            messages.success(request, "Template saved.")
            return redirect("template_edit", template_id=template.pk)
        return render(request, "envelopes/template_edit.html", _edit_context(template, form=form), status=400)
    return render(request, "envelopes/template_edit.html", _edit_context(template))


@role_required("send")
@require_POST
def template_role_new(request, template_id: int):
    template = org_get_or_404(Template, request.org, pk=template_id)
    form = TemplateRoleForm(request.POST, provider_id=template.provider)
    if form.is_valid():
        try:
            template_role_add(template=template, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("label", exc.messages)
        else:
            return redirect("template_edit", template_id=template.pk)
    return render(request, "envelopes/template_edit.html", _edit_context(template, role_form=form), status=400)


@role_required("send")
@require_POST
def template_role_rename_view(request, role_id: int):
    role = org_get_or_404(TemplateRole, request.org, pk=role_id)
    form = TemplateRoleNameForm(request.POST)
    if form.is_valid():
        try:
            template_role_rename(role=role, label=form.cleaned_data["label"])
        except ValidationError as exc:
            form.add_error("label", exc.messages)
        else:
            messages.success(request, f"The role is now called “{role.label}”.")
            return redirect("template_edit", template_id=role.template_id)
    context = _edit_context(role.template, rename_role=role.pk, rename_form=form)
    return render(request, "envelopes/template_edit.html", context, status=400)


@role_required("send")
@require_POST
def template_role_delete(request, role_id: int):
    role = org_get_or_404(TemplateRole, request.org, pk=role_id)
    template_role_remove(role=role)
    return redirect("template_edit", template_id=role.template_id)


@role_required("send")
@require_POST
def template_documents(request, template_id: int):
    template = org_get_or_404(Template, request.org, pk=template_id)
    for upload in request.FILES.getlist("files"):
        try:
            template_document_add(template=template, upload=upload, kind=request.POST.get("kind", "sign"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("template_edit", template_id=template.pk)


@role_required("send")
@require_POST
def template_document_delete(request, template_document_id: int):
    document = org_get_or_404(TemplateDocument, request.org, pk=template_document_id)
    template_document_remove(document=document)
    return redirect("template_edit", template_id=document.template_id)


@role_required("send")
@require_POST
def template_use(request, template_id: int):
    template = org_get_or_404(Template, request.org, pk=template_id)
    try:
        envelope = envelope_from_template(template=template, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "This template's defaults need fixing first: " + " ".join(exc.messages))
        return redirect("template_edit", template_id=template.pk)
    messages.success(request, f"New envelope from “{template.name}”. Fill in who takes each role, then send.")
    return redirect("envelope_compose", envelope_id=envelope.pk)


@role_required("send")
@require_POST
def template_delete(request, template_id: int):
    template = org_get_or_404(Template, request.org, pk=template_id)
    for document in template.documents.all():
        document.file.delete(save=False)
    template.delete()
    messages.success(request, f"The template “{template.name}” was deleted; envelopes made from it are kept.")
    return redirect("template_list")
