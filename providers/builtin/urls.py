"""Built-in signing's own pages: signing links, signed downloads and the public verification page."""

from django.urls import path

from providers.builtin import verify_views
from providers.builtin import views as signing

urlpatterns = [
    path("sign/<str:token>/", signing.sign_page, name="builtin_sign"),
    path("sign/<str:token>/code/", signing.code_view, name="builtin_code"),
    path("sign/<str:token>/act/", signing.act_view, name="builtin_act"),
    path("sign/<str:token>/pages/<str:document_ref>/<int:page>.png", signing.page_image, name="builtin_page"),
    path("sign/<str:token>/attachments/<str:document_ref>/", signing.attachment, name="builtin_attachment"),
    path("signed/<str:token>/", signing.download, name="builtin_download"),
    path("verify/", verify_views.verify_page, name="verify_pdf"),
]
