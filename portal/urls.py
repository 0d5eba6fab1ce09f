from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from portal.pages.views import dashboard, health, invitations, members, organization, pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/trends/", dashboard.dashboard_trends, name="dashboard_trends"),
    path("welcome/", pages.welcome, name="welcome"),
    path("orgs/new/", pages.organization_new, name="organization_new"),
    path("orgs/<slug:org_slug>/switch/", organization.organization_switch, name="organization_switch"),
    path("settings/", organization.organization_settings, name="organization_settings"),
    path("settings/delete/", organization.organization_delete_view, name="organization_delete"),
    path("settings/members/<int:membership_id>/role/", members.member_role, name="member_role"),
    path("settings/members/<int:membership_id>/remove/", members.member_remove, name="member_remove"),
    path("settings/invitations/", members.invitation_new, name="invitation_new"),
    path(
        "settings/invitations/<int:invitation_id>/resend/",
        members.invitation_resend_view,
        name="invitation_resend",
    ),
    path(
        "settings/invitations/<int:invitation_id>/revoke/",
        members.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("invitations/join/<int:invitation_id>/", invitations.invitation_join, name="invitation_join"),
    path("invitations/<str:token>/", invitations.invitation_accept_view, name="invitation_accept"),
    path("health/", health.health, name="health"),
    path("accounts/", include("allauth.urls")),
    path("", include("envelopes.urls")),
    path("", include("providers.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]

admin.site.site_header = "Paraph operations"
admin.site.site_title = "Paraph operations"
admin.site.index_title = "Organizations, people and background tasks"
