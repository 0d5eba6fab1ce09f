"""Operators' view of envelopes. Events are read-only: the audit trail is append-only."""

from django.contrib import admin

from envelopes.models import Document, Envelope, EnvelopeEvent, Participant, Template, TemplateRole


class ParticipantInline(admin.TabularInline):
    # Read-only: participants change through the portal, where drafts and sent envelopes differ.
    model = Participant
    extra = 0
    fields = ["name", "email", "phone", "role", "order", "status", "invited_at", "signed_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class DocumentInline(admin.TabularInline):
    model = Document
    extra = 0
    fields = ["name", "kind", "page_count", "size", "sha256"]
    readonly_fields = fields
    can_delete = False


@admin.register(Envelope)
class EnvelopeAdmin(admin.ModelAdmin):
    list_display = ["title", "org", "status", "provider", "created_at", "sent_at"]
    list_filter = ["status", "provider"]
    list_select_related = ["org"]
    search_fields = ["title", "remote_id"]
    # Operators may set a legal hold; everything else changes only through the portal's services.
    fields = [
        "org",
        "title",
        "status",
        "provider",
        "remote_id",
        "legal_hold",
        "expires_at",
        "sent_at",
        "completed_at",
        "voided_at",
        "void_reason",
        "last_error",
        "created_by",
        "created_at",
    ]
    readonly_fields = [name for name in fields if name != "legal_hold"]
    show_full_result_count = False
    date_hierarchy = "created_at"
    inlines = [DocumentInline, ParticipantInline]


@admin.register(EnvelopeEvent)
class EnvelopeEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "envelope", "source", "actor"]
    list_filter = ["source"]
    list_select_related = ["envelope", "actor"]
    raw_id_fields = ["envelope", "participant", "actor"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TemplateRoleInline(admin.TabularInline):
    model = TemplateRole
    extra = 0


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "org", "updated_at"]
    list_select_related = ["org"]
    search_fields = ["name"]
    raw_id_fields = ["org", "created_by"]
    inlines = [TemplateRoleInline]
