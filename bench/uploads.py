"""Costly uploads: a 6 MB PDF declaring 50,000 pages and a 306 KB PDF whose one page inflates to
300 MB, each uploaded through the real compose view and its first page previewed through the real
page-image view. Reports wall time and peak memory (this process and any process it starts) of
each request, and how long an ordinary page preview waits while the inflating page is drawn.

Works on any DATABASE_URL (migrated); it makes its own organization and removes it afterwards,
and keeps uploaded files in a temporary folder.
"""

from __future__ import annotations

import html
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from envelopes.models import Document  # noqa: E402
from envelopes.services import envelope_create  # noqa: E402
from portal.models import Organization, User  # noqa: E402
from portal.services import organization_create  # noqa: E402
from tests.envelopes.pdfs import make_inflating_pdf, make_many_pages_pdf, make_pdf  # noqa: E402

MB = 1024 * 1024
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * PAGE_KB
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return 0


def _descendants(pid: int) -> list[int]:
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    found += [int(child), *_descendants(int(child))]
        except FileNotFoundError:
            continue
    return found


class PeakMemory:
    """Samples the resident memory of this process plus every process it started, every 5 ms."""

    def __enter__(self):
        self.baseline = _rss_kb(os.getpid())
        self.peak, self._stop = self.baseline, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        me = os.getpid()
        while not self._stop.is_set():
            total = _rss_kb(me) + sum(_rss_kb(pid) for pid in _descendants(me))
            self.peak = max(self.peak, total)
            time.sleep(0.005)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def added_mb(self) -> float:
        return (self.peak - self.baseline) / 1024


def timed(call):
    with PeakMemory() as memory:
        started = time.perf_counter()
        response = call()
        seconds = time.perf_counter() - started
    return response, seconds, memory.added_mb


def upload(client: Client, envelope, name: str, content: bytes):
    url = reverse("envelope_documents", args=[envelope.pk])
    before = set(envelope.documents.values_list("pk", flat=True))
    response, seconds, memory = timed(
        lambda: client.post(url, {"files": SimpleUploadedFile(name, content, "application/pdf")}, follow=True)
    )
    added = envelope.documents.exclude(pk__in=before).first()
    verdict = f"accepted ({added.page_count} pages)" if added else "refused"
    if not added:
        reason = re.search(rf"“{re.escape(name)}”[^<]*", html.unescape(response.content.decode()))
        verdict += f": {reason.group(0) if reason else response.status_code}"
    print(f"  upload  {name:<22} {len(content) / 1024:>8,.0f} KB  {seconds:6.2f} s  +{memory:6.0f} MB  {verdict}")
    return added


def preview(client: Client, document: Document, label: str) -> None:
    url = reverse("document_page", args=[document.pk, 1]) + "?width=800"
    for attempt in ("first", "again"):
        response, seconds, memory = timed(lambda: client.get(url))
        what = f"{response.status_code} {response['Content-Type']} {len(response.content):,} bytes"
        print(f"  preview {label:<22} {attempt:<5} {seconds:6.2f} s  +{memory:6.0f} MB  {what}")


def stalled_preview(client: Client, bomb: Document, small: Document) -> None:
    """How long an ordinary page waits while another request draws the inflating page."""
    bomb_url = reverse("document_page", args=[bomb.pk, 1]) + "?width=801"  # not cached yet
    small_url = reverse("document_page", args=[small.pk, 1]) + "?width=803"
    started = time.perf_counter()
    client.get(reverse("document_page", args=[small.pk, 1]) + "?width=802")
    print(f"  preview of a 1-page PDF, nothing else drawn:              {time.perf_counter() - started:.2f} s")
    drawing = threading.Thread(target=lambda: Client(**client_kwargs(client)).get(bomb_url))
    drawing.start()
    time.sleep(0.05)
    started = time.perf_counter()
    client.get(small_url)
    print(f"  preview of a 1-page PDF while the inflating page is drawn: {time.perf_counter() - started:.2f} s")
    drawing.join()


def client_kwargs(client: Client) -> dict:
    return {"HTTP_COOKIE": "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())}


def main() -> None:
    suffix = str(int(time.time()))
    user = User.objects.create_user(email=f"bench-uploads-{suffix}@paraph.test", password="bench-uploads")
    org = organization_create(name=f"Bench uploads {suffix}", owner=user)
    try:
        client = Client()
        client.force_login(user)
        session = client.session
        session["paraph_org_id"] = org.pk
        session.save()
        envelope = envelope_create(org=org, actor=user, title="Upload bench")
        print("bench/uploads.py — upload and first-page preview through the real views")
        many = upload(client, envelope, "50000-pages.pdf", make_many_pages_pdf(50_000))
        bomb = upload(client, envelope, "inflates-to-300MB.pdf", make_inflating_pdf(300))
        small = upload(client, envelope, "one-page.pdf", make_pdf(1))
        if many:
            preview(client, many, "50000-pages.pdf")
        if bomb:
            preview(client, bomb, "inflates-to-300MB.pdf")
            stalled_preview(client, bomb, small)
    finally:
        Organization.objects.filter(pk=org.pk).delete()
        User.objects.filter(pk=user.pk).delete()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as media, override_settings(
        MEDIA_ROOT=media, DEBUG=False, ALLOWED_HOSTS=["testserver"]
    ):
        main()
