"""Envelope and template pages. Until composing arrives these show the organization's empty state."""

from django.shortcuts import render

from portal.roles import role_required


@role_required("view")
def envelope_list(request):
    return render(request, "envelopes/envelope_list.html")


@role_required("view")
def template_list(request):
    return render(request, "envelopes/template_list.html")
