from django.urls import path

from envelopes.views import compose, detail, documents, listing, template_pages, tracking

urlpatterns = [
    path("envelopes/", listing.envelope_list, name="envelope_list"),
    path("envelopes/new/", compose.envelope_new, name="envelope_new"),
    path("envelopes/bulk/", listing.envelope_bulk, name="envelope_bulk"),
    path("envelopes/<int:envelope_id>/", detail.envelope_detail, name="envelope_detail"),
    path("envelopes/<int:envelope_id>/status/", detail.envelope_status, name="envelope_status"),
    path("envelopes/<int:envelope_id>/edit/", compose.envelope_compose, name="envelope_compose"),
    path("envelopes/<int:envelope_id>/summary/", compose.envelope_summary, name="envelope_summary"),
    path("envelopes/<int:envelope_id>/settings/", compose.envelope_settings, name="envelope_settings"),
    path("envelopes/<int:envelope_id>/documents/", compose.envelope_documents, name="envelope_documents"),
    path("envelopes/<int:envelope_id>/participants/", compose.participant_new, name="participant_new"),
    path("envelopes/<int:envelope_id>/signing-order/", compose.signing_order, name="signing_order"),
    path("envelopes/<int:envelope_id>/send/", compose.envelope_send_view, name="envelope_send"),
    path("envelopes/<int:envelope_id>/retry/", detail.envelope_retry_view, name="envelope_retry"),
    path("envelopes/<int:envelope_id>/void/", detail.envelope_void_view, name="envelope_void"),
    path("envelopes/<int:envelope_id>/remind/", detail.envelope_remind_view, name="envelope_remind"),
    path("envelopes/<int:envelope_id>/duplicate/", detail.envelope_duplicate_view, name="envelope_duplicate"),
    path("envelopes/<int:envelope_id>/save-as-template/", detail.envelope_save_template, name="envelope_save_template"),
    path("envelopes/<int:envelope_id>/delete/", detail.envelope_delete_view, name="envelope_delete"),
    path("envelopes/<int:envelope_id>/signed.pdf", documents.envelope_signed_file, name="envelope_signed_file"),
    path("envelopes/documents/<int:document_id>/", documents.document_file, name="document_file"),
    path(
        "envelopes/documents/<int:document_id>/pages/<int:page>.png",
        documents.document_page_image,
        name="document_page",
    ),
    path("envelopes/documents/<int:document_id>/move/", compose.document_move, name="document_move"),
    path("envelopes/documents/<int:document_id>/remove/", compose.document_delete, name="document_delete"),
    path("envelopes/participants/<int:participant_id>/", compose.participant_row, name="participant_row"),
    path("envelopes/participants/<int:participant_id>/move/", compose.participant_reorder, name="participant_reorder"),
    path("envelopes/participants/<int:participant_id>/remove/", compose.participant_delete, name="participant_delete"),
    path(
        "envelopes/participants/<int:participant_id>/contact/", detail.participant_contact, name="participant_contact"
    ),
    path("signers/", tracking.signer_tracking, name="signer_tracking"),
    path("signers/remind/", tracking.signer_remind, name="signer_remind"),
    path("templates/", template_pages.template_list, name="template_list"),
    path("templates/<int:template_id>/", template_pages.template_edit, name="template_edit"),
    path("templates/<int:template_id>/roles/", template_pages.template_role_new, name="template_role_new"),
    path(
        "templates/roles/<int:role_id>/rename/", template_pages.template_role_rename_view, name="template_role_rename"
    ),
    path("templates/roles/<int:role_id>/remove/", template_pages.template_role_delete, name="template_role_delete"),
    path("templates/<int:template_id>/documents/", template_pages.template_documents, name="template_documents"),
    path(
        "templates/documents/<int:template_document_id>/remove/",
        template_pages.template_document_delete,
        name="template_document_delete",
    ),
    path("templates/<int:template_id>/use/", template_pages.template_use, name="template_use"),
    path("templates/<int:template_id>/delete/", template_pages.template_delete, name="template_delete"),
]
