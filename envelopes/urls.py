from django.urls import path

from envelopes.views import pages as views

urlpatterns = [
    path("envelopes/", views.envelope_list, name="envelope_list"),
    path("templates/", views.template_list, name="template_list"),
]
