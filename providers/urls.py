from django.urls import path

from providers import views, webhooks
from providers.builtin import verify_views
from providers.builtin import views as signing

urlpatterns = [
    path("connections/", views.connection_list, name="connection_list"),
    path("connections/<str:provider_id>/connect/", views.connection_connect, name="connection_connect"),
    path("connections/<str:provider_id>/callback/", views.connection_callback, name="connection_callback"),
    path("connections/<int:connection_id>/test/", views.connection_test, name="connection_test"),
    path("connections/<int:connection_id>/rename/", views.connection_rename, name="connection_rename"),
    path("connections/<int:connection_id>/disconnect/", views.connection_disconnect, name="connection_disconnect"),
    path("webhooks/<str:provider_id>/", webhooks.webhook_receive_shared, name="provider_webhook_shared"),
    path("webhooks/<str:provider_id>/<int:connection_id>/", webhooks.webhook_receive, name="provider_webhook"),
    path(
        "webhooks/<str:provider_id>/<int:connection_id>/<str:token>/",
        webhooks.webhook_receive,
        name="provider_webhook_secret",
    ),
    path("connections/<str:provider_id>/paste/", views.connection_paste, name="connection_paste"),
    path("sign/<str:token>/", signing.sign_page, name="builtin_sign"),
    path("sign/<str:token>/code/", signing.code_view, name="builtin_code"),
    path("sign/<str:token>/act/", signing.act_view, name="builtin_act"),
    path("sign/<str:token>/pages/<str:document_ref>/<int:page>.png", signing.page_image, name="builtin_page"),
    path("sign/<str:token>/attachments/<str:document_ref>/", signing.attachment, name="builtin_attachment"),
    path("signed/<str:token>/", signing.download, name="builtin_download"),
    path("verify/", verify_views.verify_page, name="verify_pdf"),
]
