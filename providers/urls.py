from django.urls import path

from providers import views

urlpatterns = [
    path("connections/", views.connection_list, name="connection_list"),
]
