"""Server time and SQL queries of the dashboard and the envelope list (first page and page 500)
for the seeded organization (`manage.py seed_bench`). Run by `make bench` on whatever
DATABASE_URL points at; the budgets in DESIGN.md are for PostgreSQL."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.db import DatabaseError, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from envelopes.management.commands.seed_bench import BENCH_EMAIL  # noqa: E402
from envelopes.models import Envelope  # noqa: E402
from envelopes.selectors import PAGE_SIZE, _encode  # noqa: E402
from portal.models import Membership, User  # noqa: E402

RUNS = 25


def measure(client: Client, url: str) -> tuple[float, float, int]:
    client.get(url)  # warm-up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(queries)


def main() -> None:
    try:
        user = User.objects.filter(email=BENCH_EMAIL).first()
    except DatabaseError:
        user = None  # not even migrated
    if user is None:
        print(
            "Page timings skipped: no benchmark data on this database (run `manage.py migrate` and "
            "`manage.py seed_bench --envelopes 10000` with the same DATABASE_URL)."
        )
        return
    org = Membership.objects.get(user=user, role="owner").org
    count = Envelope.objects.filter(org=org).count()
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    deep_index = min(500 * PAGE_SIZE, count - PAGE_SIZE) - 1
    deep_row = Envelope.objects.filter(org=org).order_by("-created_at", "-id")[deep_index]
    pages = {
        "dashboard": reverse("dashboard"),
        "list, first page": reverse("envelope_list"),
        f"list, page {deep_index // PAGE_SIZE + 2}": reverse("envelope_list") + f"?after={_encode(deep_row, 'newest')}",
        "list, status filter": reverse("envelope_list") + "?status=sent",
    }
    print(f"{connection.vendor}, {count:,} envelopes in the measured organization, {RUNS} runs each")
    for name, url in pages.items():
        p50, p95, queries = measure(client, url)
        print(f"  {name:<22} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   {queries} queries")


if __name__ == "__main__":
    main()
