"""Provider connection screens: every member sees the state; admins connect, test, rename and
disconnect accounts."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portal.kernel.roles import role_required
from portal.kernel.tenancy import org_get_or_404
from providers import connections
from providers.models import ConnectionStatus, ProviderConnection


@role_required("view")
def connection_list(request):
    cards = connections.provider_cards(request.org)
    response = render(request, "providers/connection_list.html", {"cards": cards})
    # *Connect* posts here and is redirected to the provider's consent page; browsers apply the
    # page's form-action policy to that redirect too, so the consent pages' origins are allowed.
    response._csp_update = {"form-action": connections.consent_origins()}
    return response


@require_POST
@role_required("manage")
def connection_connect(request, provider_id: str):
    reconnect = request.POST.get("reconnect")
    if reconnect:
        org_get_or_404(ProviderConnection, request.org, pk=reconnect, provider=provider_id)
    try:
        url = connections.connection_begin(
            session=request.session,
            org=request.org,
            provider_id=provider_id,
            label=request.POST.get("label", ""),
            reconnect=int(reconnect) if reconnect else None,
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("connection_list")
    return redirect(url)


@require_POST
@role_required("manage")
def connection_paste(request, provider_id: str):
    """Connects with pasted credentials (OAuth 1 personal credentials, API token or key + secret)."""
    reconnect = request.POST.get("reconnect")
    if reconnect:
        org_get_or_404(ProviderConnection, request.org, pk=reconnect, provider=provider_id)
    try:
        connection = connections.connection_paste(
            org=request.org,
            provider_id=provider_id,
            label=request.POST.get("label", ""),
            fields=request.POST,
            actor=request.user,
            reconnect=int(reconnect) if reconnect else None,
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"Connected {connection.label} ({connection.account_name or 'account'}).")
    return redirect("connection_list")


@role_required("manage")
def connection_callback(request, provider_id: str):
    try:
        connection = connections.connection_complete(
            session=request.session, org=request.org, provider_id=provider_id, params=request.GET, actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"Connected {connection.label} ({connection.account_name or 'account'}).")
    return redirect("connection_list")


@require_POST
@role_required("manage")
def connection_test(request, connection_id: int):
    connection = _live_connection(request, connection_id)
    try:
        name = connections.connection_test(connection=connection)
    except ValidationError as exc:
        messages.error(request, f"{connection.label}: {exc.messages[0]}")
    else:
        messages.success(request, f"{connection.label} works: signed in as {name}.")
    return redirect("connection_list")


@require_POST
@role_required("manage")
def connection_rename(request, connection_id: int):
    connection = _live_connection(request, connection_id)
    try:
        connections.connection_rename(connection=connection, label=request.POST.get("label", ""))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("connection_list")


@require_POST
@role_required("manage")
def connection_disconnect(request, connection_id: int):
    connection = _live_connection(request, connection_id)
    problems = connections.connection_disconnect(connection=connection)
    messages.success(request, f"Disconnected {connection.label}. Its envelopes are kept.")
    for problem in problems:
        messages.warning(request, problem)
    return redirect("connection_list")


def _live_connection(request, connection_id: int) -> ProviderConnection:
    return org_get_or_404(ProviderConnection, request.org, pk=connection_id, status__in=ConnectionStatus.live())
