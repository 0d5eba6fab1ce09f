"""Server time and SQL queries of the dashboard (the page, its 5-second poll and the charts it loads
as it shows), the envelope list (first page and page 500), signer tracking and the operators'
envelope admin for the seeded organization (`manage.py seed_bench`).
Run by `make bench` on whatever DATABASE_URL points at; the budgets in DESIGN.md are for PostgreSQL.
Results are also written to var/bench-pages-<envelopes>.json, so runs at 10,000 and at 1,000,000
envelopes can be compared (`bench/README.md`)."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import DatabaseError, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.seeding.management.commands.seed_bench import BENCH_EMAIL, OPERATOR_EMAIL  # noqa: E402
from envelopes.models import Envelope  # noqa: E402
from envelopes.reads.selectors import PAGE_SIZE, _encode, envelope_status_counts  # noqa: E402
from portal.models import Membership, User  # noqa: E402

RUNS = 25
# Time what production runs: with DEBUG on, every query is also formatted and logged and templates
# keep debug information. (The query counts below are still captured.)
settings.DEBUG = False
# name → p50 budget in ms (DESIGN.md), for the pages that have one.
BUDGETS = {"dashboard": 50, "list, first page": 100, "list, page 500": 100}
DEEP_PAGE = 500


def measure(client: Client, url: str, **headers) -> dict:
    client.get(url, headers=headers)  # warm-up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, headers=headers)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "queries": len(queries)}


def deep_page_url(org, count: int) -> str:
    """The list's page 500 (the last page when there are fewer), reached by its cursor as the Next
    links reach it (finding the row is not timed)."""
    index = min((DEEP_PAGE - 1) * PAGE_SIZE, count - PAGE_SIZE) - 1
    deep_row = Envelope.objects.filter(org=org).order_by("-created_at", "-id")[index]
    return reverse("envelope_list") + f"?after={_encode(deep_row, 'newest')}"


def pages(org, count: int) -> dict[str, tuple[str, dict]]:
    return {
        "dashboard": (reverse("dashboard"), {}),
        "dashboard, polled": (reverse("dashboard"), {"HX-Request": "true"}),
        "dashboard, its charts": (reverse("dashboard_trends") + "?period=30", {"HX-Request": "true"}),
        "list, first page": (reverse("envelope_list"), {}),
        "list, page 500": (deep_page_url(org, count), {}),
        "list, status filter": (reverse("envelope_list") + "?status=sent", {}),
        "signers, first page": (reverse("signer_tracking"), {}),
    }


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
    count = envelope_status_counts(org)["all"]
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    results = {name: measure(client, url, **headers) for name, (url, headers) in pages(org, count).items()}
    operator = User.objects.filter(email=OPERATOR_EMAIL).first()
    if operator is not None:
        client.force_login(operator)
        results["admin, envelopes"] = measure(client, reverse("admin:envelopes_envelope_changelist"))
        results["admin, participants"] = measure(client, reverse("admin:envelopes_participant_changelist"))
    print(f"{connection.vendor}, {count:,} envelopes in the measured organization, {RUNS} runs each")
    if count < DEEP_PAGE * PAGE_SIZE:
        print(f"  (fewer than {DEEP_PAGE} pages: 'page 500' is the last page, {(count - 1) // PAGE_SIZE + 1})")
    for name, result in results.items():
        budget = BUDGETS.get(name)
        verdict = "" if budget is None else f"   budget {budget} ms: {'met' if result['p50'] <= budget else 'MISSED'}"
        print(
            f"  {name:<22} p50 {result['p50']:7.1f} ms   p95 {result['p95']:7.1f} ms   "
            f"{result['queries']:2} queries{verdict}"
        )
    out = Path(settings.VAR_DIR) / f"bench-pages-{count}.json"
    out.write_text(json.dumps({"vendor": connection.vendor, "envelopes": count, "pages": results}, indent=1))


if __name__ == "__main__":
    main()
