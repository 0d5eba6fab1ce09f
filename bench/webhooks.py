"""Webhook intake: verified Formify deliveries per second through the real view (signature check,
deduplicated insert, task enqueued on the configured broker), then a storm of duplicates and
out-of-order replays, checking nothing was lost or stored twice. Budget (DESIGN.md): ≥ 500
verified deliveries/s per process.

Works on any DATABASE_URL (migrated); it makes its own organization and removes it afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.db import DatabaseError  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_q.models import OrmQ  # noqa: E402

from portal.models import Organization  # noqa: E402
from providers.models import ProviderConnection, WebhookDelivery  # noqa: E402

DELIVERIES = int(os.environ.get("BENCH_WEBHOOKS", "2000"))
SECRET = "whsec_bench"


def signed(event_id: str, kind: str, document: str) -> tuple[bytes, dict]:
    body = json.dumps(
        {
            "event": {
                "eventId": event_id,
                "type": kind,
                "date": "2026-11-22T10:00:00Z",
                "data": {"documentId": document, "accountId": "acc", "userId": "usr"},
            }
        }
    ).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return body, {"X-Formify-Timestamp": stamp, "X-Formify-Signature": signature}


def post_all(client: Client, url: str, calls) -> float:
    started = time.perf_counter()
    for body, headers in calls:
        response = client.post(url, data=body, content_type="application/json", headers=headers)
        assert response.status_code == 200, response.status_code
    return time.perf_counter() - started


def main() -> None:
    try:
        Organization.objects.exists()
    except DatabaseError:
        print("Webhook intake skipped: the database is not migrated (run `manage.py migrate`).")
        return
    org = Organization.objects.create(name="Webhook bench", slug=f"webhook-bench-{os.getpid()}")
    queued_before = OrmQ.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        connection = ProviderConnection(org=org, provider="formify", label="bench")
        connection.webhook_secret = SECRET
        connection.save()
        run(connection)
    finally:
        WebhookDelivery.objects.filter(connection__org=org).delete()
        org.delete()
        # The apply tasks the bench queued (with the ORM broker) would only find nothing to do.
        OrmQ.objects.filter(pk__gt=queued_before).delete()


def run(connection: ProviderConnection) -> None:
    client = Client(HTTP_HOST="localhost")
    url = reverse("provider_webhook", args=["formify", connection.pk])
    kinds = ["document.opened", "document.signed", "document.completed"]
    calls = [signed(f"evt-{connection.pk}-{n}", kinds[n % 3], f"doc-{n // 3}") for n in range(DELIVERIES)]
    post_all(client, url, calls[:50])  # warm-up (these count as stored)
    seconds = post_all(client, url, calls[50:])
    rate = (DELIVERIES - 50) / seconds
    stored = WebhookDelivery.objects.filter(connection=connection).count()
    # A storm: every delivery again, shuffled (late, twice, out of order).
    storm = calls[:]
    random.shuffle(storm)
    storm_seconds = post_all(client, url, storm)
    after = WebhookDelivery.objects.filter(connection=connection).count()
    ids = set(WebhookDelivery.objects.filter(connection=connection).values_list("event_id", flat=True))
    lost = {f"evt-{connection.pk}-{n}" for n in range(DELIVERIES)} - ids
    vendor = django.db.connection.vendor
    print(f"Webhook intake on {vendor}, {DELIVERIES} deliveries through the view (verify, store, enqueue):")
    each = seconds * 1000 / (DELIVERIES - 50)
    print(f"  new verified deliveries: {rate:,.0f}/s ({each:.2f} ms each)  budget ≥ 500/s")
    print(f"  duplicate storm (shuffled): {DELIVERIES / storm_seconds:,.0f}/s")
    print(f"  stored {stored} then {after} after the storm; lost {len(lost)}; duplicates stored {after - len(ids)}")


if __name__ == "__main__":
    main()
