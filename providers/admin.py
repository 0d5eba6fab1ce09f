"""Operators' view of connections and webhook deliveries. Tokens and secrets are never shown:
the encrypted fields are not editable and not listed."""

from __future__ import annotations

from django.contrib import admin, messages

from portal.kernel.admin_paging import LargeTableAdmin
from providers.models import ProviderConnection, WebhookDelivery
from providers.webhooks import delivery_replay


@admin.register(ProviderConnection)
class ProviderConnectionAdmin(admin.ModelAdmin):
    list_display = ["label", "provider", "org", "status", "account_name", "expires_at", "last_checked_at"]
    list_filter = ["provider", "status"]
    list_select_related = ["org"]
    search_fields = ["label", "account_name", "org__name"]
    raw_id_fields = ["org", "created_by"]
    readonly_fields = [
        "provider",
        "account_id",
        "account_name",
        "account_email",
        "webhook_id",
        "expires_at",
        "last_error",
        "last_checked_at",
        "created_at",
    ]
    fields = ["org", "label", "status", *readonly_fields, "created_by"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(LargeTableAdmin):
    list_display = ["received_at", "provider", "event_type", "event_id", "remote_id", "status", "attempts"]
    list_filter = ["status", "provider"]
    search_fields = ["=event_id", "=remote_id"]
    raw_id_fields = ["connection"]
    date_hierarchy = None
    ordering = ["-received_at"]
    readonly_fields = [
        "provider",
        "connection",
        "event_id",
        "event_type",
        "remote_id",
        "received_at",
        "headers",
        "body",
        "verified",
        "status",
        "attempts",
        "error",
        "processed_at",
    ]
    actions = ["replay"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Replay: apply the selected deliveries again")
    def replay(self, request, queryset):
        deliveries = list(queryset[:500])
        for delivery in deliveries:
            delivery_replay(delivery=delivery)
        messages.success(request, f"{len(deliveries)} deliveries queued to be applied again.")
