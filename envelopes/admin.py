"""Operators' view of envelopes, participants and events, built to stay quick at millions of rows:
no full count on any page (`LargeTableAdmin`), foreign keys as raw ids, related rows joined in the
page's one query, and only filters and searches an index answers. Events are read-only: the audit
trail is append-only."""

from django.contrib import admin

from envelopes.models import Document, Envelope, EnvelopeEvent, EnvelopeStatus, Participant, Template, TemplateRole
from envelopes.reads.search import person_matches, title_matches
from portal.kernel.admin_paging import LargeTableAdmin


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


class StuckStatusFilter(admin.SimpleListFilter):
    """What operators look for across organizations: sends that are stuck or failed. The common
    statuses are not offered: finding a rare one among a million rows needs the envelope_stuck index."""

    title = "status"
    parameter_name = "status"
    STATUSES = [EnvelopeStatus.QUEUED, EnvelopeStatus.SENDING, EnvelopeStatus.FAILED]

    def lookups(self, request, model_admin):
        return [(status.value, status.label) for status in self.STATUSES]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() in self.STATUSES else queryset


@admin.register(Envelope)
class EnvelopeAdmin(LargeTableAdmin):
    list_display = ["id", "title", "org", "status", "provider", "created_at", "sent_at"]
    list_filter = [StuckStatusFilter]
    list_select_related = ["org"]
    search_fields = ["title"]  # searched as the envelope list searches (envelopes.reads.search)
    search_help_text = "An envelope id, or words from the title."
    sortable_by = ["id"]
    raw_id_fields = ["org", "connection", "template", "created_by"]
    # Operators may set a legal hold; everything else changes only through the portal's services.
    fields = [
        "org",
        "title",
        "status",
        "provider",
        "connection",
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
    inlines = [DocumentInline, ParticipantInline]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        return (queryset.filter(title_matches(term)) if term else queryset), False


@admin.register(Participant)
class ParticipantAdmin(LargeTableAdmin):
    list_display = ["id", "name", "email", "status", "role", "envelope", "invited_at"]
    list_select_related = ["envelope"]
    raw_id_fields = ["envelope"]
    ordering = ["-id"]  # the model's own order (by position) would sort every row
    search_fields = ["name", "email"]  # searched as the envelope list searches (envelopes.reads.search)
    search_help_text = "Words from the name or the e-mail address, or a whole address (any case)."
    sortable_by = ["id"]
    fields = ["envelope", "name", "email", "phone", "role", "order", "status", "invited_at", "opened_at", "signed_at"]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        return (queryset.filter(person_matches(term)) if term else queryset), False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EnvelopeEvent)
class EnvelopeEventAdmin(LargeTableAdmin):
    list_display = ["id", "occurred_at", "kind", "envelope", "source", "actor"]
    list_select_related = ["envelope", "actor"]
    raw_id_fields = ["envelope", "org", "participant", "actor"]
    ordering = ["-id"]
    search_fields = ["envelope"]
    search_help_text = "An envelope id: that envelope's events."
    sortable_by = ["id"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return (queryset.filter(envelope_id=int(term)) if term.isdigit() else queryset.none()), False

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
