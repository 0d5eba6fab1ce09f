"""A scale-out run (`make bench`, or on its own):

    DATABASE_URL=postgres://…/a_database_of_its_own .venv/bin/python bench/scaleout [--seconds 90]

Three gunicorn web servers (one process, four threads each) and three `manage.py qcluster`
clusters (two workers each) on the Redis broker (SCALEOUT_REDIS_URL, default
redis://127.0.0.1:6379/14 — a database number of its own, emptied first), all on the PostgreSQL
database DATABASE_URL names, with the fake Formify server in this process; every address is on
127.0.0.1. Under load (sends through Paraph signing and Formify, signed webhooks at a steady rate,
dashboard readers) one worker cluster is killed with SIGKILL and restarted, and Formify answers
503 and then 429 for a spell. Once the workers have caught up it checks: every envelope sent
exactly once at its provider, every webhook stored and applied once, counts equal to a recount,
every audit chain intact. Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
WEB_PORTS = [8731, 8732, 8733]
# Fixed, not secret: the run's own database and processes on loopback.
SECRET_KEY = "scaleout-bench-secret-key-not-for-production-0123456789"  # noqa: S105
FIELD_KEY = "c2NhbGVvdXQtYmVuY2gta2V5LW5vdC1zZWNyZXQtMDA="


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/scaleout", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=90, help="length of the load (default 90)")
    parser.add_argument("--sends", type=float, default=2, help="envelopes sent per second (default 2)")
    parser.add_argument("--webhooks", type=float, default=40, help="webhooks posted per second (default 40)")
    parser.add_argument("--readers", type=int, default=3, help="dashboard readers at once (default 3)")
    parser.add_argument("--drain", type=float, default=300, help="seconds to wait for the workers to catch up")
    args = parser.parse_args(argv)

    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith("postgres"):
        print("Scale-out run skipped: it needs PostgreSQL (DATABASE_URL=postgres://… to a database of its own).")
        return 0
    sys.path.insert(0, str(ROOT))
    from bench.scaleout.formify import Formify

    scratch = Path(tempfile.mkdtemp(prefix="paraph-scaleout-"))
    formify = Formify().start()
    try:
        env = _environment(scratch, formify, database)
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        import django

        django.setup()
        from bench.scaleout.run import Run

        return Run(args=args, env={**os.environ}, scratch=scratch, formify=formify, ports=WEB_PORTS).go()
    finally:
        formify.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def _environment(scratch: Path, formify, database: str) -> dict[str, str]:
    redis = os.environ.get("SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/14")
    for folder in ("logs", "media", "static", "mail"):
        (scratch / folder).mkdir()
    return {
        "DATABASE_URL": database,
        "REDIS_URL": redis,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": FIELD_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SITE_URL": f"http://127.0.0.1:{WEB_PORTS[0]}",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(scratch / "static"),
        "MEDIA_ROOT": str(scratch / "media"),
        "EMAIL_URL": f"file://{scratch / 'mail'}",
        "Q_WORKERS": "2",
        # A short task timeout, so that sends a killed worker held are taken over within the run.
        "Q_TIMEOUT": "20",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "4",
        **formify.settings(),
    }


if __name__ == "__main__":
    sys.exit(main())
