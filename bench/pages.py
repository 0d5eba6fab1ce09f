"""Server time and SQL queries of every page and filter a user can reach, for the organization
`manage.py seed_bench` made: the dashboard (the page, its 5-second poll, the charts it loads as it
shows, and each of its parts alone), the envelope list (first page, deep pages by cursor, a status
filter, searches for a rare title, a common word, nothing that exists and an e-mail address),
signer tracking (all, one provider account) and the operators' admin (envelopes and participants,
and their searches).

    bench/pages.py                       the database DATABASE_URL points at (`make bench`)
    bench/pages.py --compare URL URL…    several databases in turn, --rounds times, then a table

Results of a single run are also written to var/bench-pages-<envelopes>.json. The budgets in
DESIGN.md are for PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 25
# name → p50 budget in ms (DESIGN.md), for what has one.
BUDGETS = {"dashboard": 50, "admin, envelopes, title search": 200, "admin, participants, e-mail search": 200}
BUDGETS.update({name: 100 for name in ("list, first page", "list, page 4,000", "list, page 20,000")})
BUDGETS.update({f"list, search {kind}": 100 for kind in ("rare title", "common word", "no match", "an e-mail")})
DEEP_PAGES = (500, 4_000, 20_000)
COMMON_WORD = "agreement"  # in every seeded title
NO_MATCH = "qzxv"


def measure(call: Callable[[], object], capture) -> dict:
    call()  # warm-up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    with capture() as queries:
        call()
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "queries": len(queries)}


def run_here() -> dict:
    """Times everything on the database DATABASE_URL points at; None when it holds no benchmark data."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()

    from django.conf import settings
    from django.db import DatabaseError, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.seeding.management.commands.seed_bench import BENCH_EMAIL, OPERATOR_EMAIL
    from portal.models import Membership, User

    # Time what production runs: with DEBUG on, every query is also formatted and logged and templates
    # keep debug information. (The query counts are still captured.)
    settings.DEBUG = False
    try:
        user = User.objects.filter(email=BENCH_EMAIL).first()
    except DatabaseError:
        user = None  # not even migrated
    if user is None:
        return {}
    org = Membership.objects.get(user=user, role="owner").org
    load_before = os.getloadavg()[0]
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    def get(url: str, **headers) -> Callable[[], object]:
        def call():
            # secure: with DEBUG off the portal redirects plain HTTP to HTTPS.
            response = client.get(url, headers=headers, secure=True)
            assert response.status_code == 200, (url, response.status_code)

        return call

    def capture():
        return CaptureQueriesContext(connection)

    count, targets = _targets(org, user, get)
    results = {name: measure(call, capture) for name, call in targets.items()}
    operator = User.objects.filter(email=OPERATOR_EMAIL).first()
    if operator is not None:
        client.force_login(operator)
        for name, call in _admin_targets(org, get).items():
            results[name] = measure(call, capture)
    report = {
        "vendor": connection.vendor,
        "envelopes": count,
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "pages": results,
    }
    out = Path(settings.VAR_DIR) / f"bench-pages-{count}.json"
    out.write_text(json.dumps(report, indent=1))
    return report


def _targets(org, user, get) -> tuple[int, dict[str, Callable[[], object]]]:
    from django.urls import reverse

    from envelopes.models import Envelope, Participant
    from envelopes.reads.activity import activity_feed
    from envelopes.reads.attention import bounced_count, envelopes_expiring, participants_waiting_for
    from envelopes.reads.dashboard import dashboard_overview, org_accounts
    from envelopes.reads.selectors import PAGE_SIZE, envelope_status_counts
    from envelopes.reads.tracking import participants_outstanding
    from portal.pages.views.dashboard import SIGNERS_SHOWN

    count = envelope_status_counts(org)["all"]
    newest = Envelope.objects.filter(org=org).order_by("-created_at", "-id")
    middle = newest[count // 2]  # its title is rare: seeded titles carry a number up to a million
    email = Participant.objects.filter(envelope=middle).order_by("id").values_list("email", flat=True).first()
    account = next((a.key for a in org_accounts(org) if a.connection_key), "")
    list_url = reverse("envelope_list")
    targets = {
        "dashboard": get(reverse("dashboard")),
        "dashboard, polled": get(reverse("dashboard"), **{"HX-Request": "true"}),
        "dashboard, its charts": get(reverse("dashboard_trends") + "?period=30", **{"HX-Request": "true"}),
        "dashboard part: counts and attention": lambda: dashboard_overview(org, user),
        "dashboard part: bounced": lambda: bounced_count(org),
        "dashboard part: expiring": lambda: envelopes_expiring(org).count(),
        "dashboard part: waiting for me": lambda: participants_waiting_for(org, user).count(),
        "dashboard part: signers waiting": lambda: list(participants_outstanding(org)[:SIGNERS_SHOWN]),
        "dashboard part: activity feed": lambda: activity_feed(org),
        "list, first page": get(list_url),
    }
    for page in DEEP_PAGES:
        # Reached by its cursor as the Next links reach it (finding the row is not timed); at a
        # smaller size, the last page.
        row = newest[min((page - 1) * PAGE_SIZE, count - PAGE_SIZE) - 1]
        targets[f"list, page {page:,}"] = get(f"{list_url}?after={_cursor(row)}")
    targets.update(
        {
            "list, status filter": get(f"{list_url}?status=sent"),
            "list, search rare title": get(f"{list_url}?q={_quoted(middle.title)}"),
            "list, search common word": get(f"{list_url}?q={COMMON_WORD}"),
            "list, search no match": get(f"{list_url}?q={NO_MATCH}"),
            "list, search an e-mail": get(f"{list_url}?q={_quoted(email)}"),
            "signers, first page": get(reverse("signer_tracking")),
            "signers, one account": get(f"{reverse('signer_tracking')}?account={_quoted(account)}"),
        }
    )
    return count, targets


def _admin_targets(org, get) -> dict[str, Callable[[], object]]:
    from django.urls import reverse

    from bench.seeding.management.commands.seed_bench import BENCH_EMAIL
    from envelopes.models import Envelope

    envelopes = reverse("admin:envelopes_envelope_changelist")
    participants = reverse("admin:envelopes_participant_changelist")
    title = Envelope.objects.filter(org=org).order_by("-id").values_list("title", flat=True)[500]
    return {
        "admin, envelopes": get(envelopes),
        "admin, envelopes, title search": get(f"{envelopes}?q={_quoted(title)}"),
        "admin, participants": get(participants),
        # The benchmark user is a signer in 0.5 % of the envelopes: thousands of matches at a million.
        "admin, participants, e-mail search": get(f"{participants}?q={_quoted(BENCH_EMAIL)}"),
    }


def _cursor(row) -> str:
    from envelopes.reads.selectors import _encode

    return _encode(row, "newest")


def _quoted(value: str) -> str:
    from urllib.parse import quote

    return quote(value)


def print_run(report: dict) -> None:
    print(f"{report['vendor']}, {report['envelopes']:,} envelopes in the measured organization, {RUNS} runs each")
    print(f"  load average {report['load'][0]} → {report['load'][1]}")
    for name, result in report["pages"].items():
        budget = BUDGETS.get(name)
        verdict = "" if budget is None else f"   budget {budget} ms: {'met' if result['p50'] <= budget else 'MISSED'}"
        print(
            f"  {name:<38} p50 {result['p50']:7.1f} ms   p95 {result['p95']:7.1f} ms   "
            f"{result['queries']:2} queries{verdict}"
        )


def compare(urls: list[str], rounds: int) -> None:
    """Runs each database in turn, `rounds` times (so that both sizes see the same machine), and prints
    a Markdown table: per measure and size the p50 / p95 of each round, the queries, and the ratio of
    the median p50s (last size ÷ first)."""
    runs: dict[str, list[dict]] = {url: [] for url in urls}
    for round_number in range(rounds):
        for url in urls:
            env = {**os.environ, "DATABASE_URL": url}
            done = subprocess.run(
                [sys.executable, __file__, "--json"], env=env, cwd=ROOT, check=True, capture_output=True, text=True
            )
            report = json.loads(done.stdout.strip().splitlines()[-1])
            done_line = f"round {round_number + 1}: {report['envelopes']:,} envelopes, load {report['load']}"
            print(done_line, file=sys.stderr)
            runs[url].append(report)
    first, last = runs[urls[0]], runs[urls[-1]]
    sizes = " | ".join(f"{reports[0]['envelopes']:,}: p50 / p95" for reports in runs.values())
    print(f"| measure | {sizes} | queries | ratio (median p50) | budget |")
    print("|---" * (len(urls) + 4) + "|")
    for name in first[0]["pages"]:
        cells = [
            ", ".join(f"{r['pages'][name]['p50']:.0f} / {r['pages'][name]['p95']:.0f}" for r in reports)
            for reports in runs.values()
        ]
        queries = sorted({r["pages"][name]["queries"] for reports in runs.values() for r in reports})
        ratio = _median_p50(last, name) / _median_p50(first, name)
        budget = BUDGETS.get(name)
        print(
            f"| {name} | {' | '.join(cells)} | {', '.join(map(str, queries))} | {ratio:.2f} | "
            f"{f'p50 ≤ {budget} ms' if budget else '—'} |"
        )
    loads = [load for reports in runs.values() for r in reports for load in r["load"]]
    print(f"\nLoad average during the runs: {min(loads)}–{max(loads)}.")


def _median_p50(reports: list[dict], name: str) -> float:
    return statistics.median(r["pages"][name]["p50"] for r in reports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", nargs="+", metavar="DATABASE_URL", help="databases to run in turn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as one line of JSON")
    args = parser.parse_args()
    if args.compare:
        compare(args.compare, args.rounds)
        return
    report = run_here()
    if not report:
        print(
            "Page timings skipped: no benchmark data on this database (run `manage.py migrate` and "
            "`manage.py seed_bench --envelopes 10000` with the same DATABASE_URL)."
        )
    elif args.json:
        print(json.dumps(report))
    else:
        print_run(report)


if __name__ == "__main__":
    main()
