from django.urls import include, path

from providers import views, webhooks
from providers.registry import url_modules

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
] + [path("", include(module)) for module in url_modules()]  # providers with pages of their own
