"""The portal's URLs plus one sender-only page, to prove the 403 a viewer gets."""

from django.http import HttpResponse
from django.urls import path

from portal.kernel.roles import role_required
from portal.urls import urlpatterns as portal_urlpatterns


@role_required("send")
def send_something(request):
    return HttpResponse("sent")


urlpatterns = [path("test/send/", send_something, name="test_send"), *portal_urlpatterns]
