"""The portal's URLs plus the bench's ceiling view."""

from django.db import connection
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

CEILING_TABLE = "bench_intake_ceiling"


@csrf_exempt
def insert_one_row(request):
    """What any intake must at least do: read the body and write it down."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {CEILING_TABLE} (body) VALUES (%s)", [request.body.decode()])  # noqa: S608
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/ceiling/", insert_one_row), path("", include("portal.urls"))]
