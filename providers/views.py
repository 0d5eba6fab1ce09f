"""Provider connection screens. Until the provider layer arrives this lists nothing connected."""

from django.shortcuts import render

from portal.roles import role_required


@role_required("view")
def connection_list(request):
    return render(request, "providers/connection_list.html")
