"""Webhook intake through a real HTTP server: gunicorn (this repository's gunicorn.conf.py, one
process) serving the portal with bench-only settings, and wrk on 127.0.0.1 sending signed Formify
deliveries with keep-alive, each body with an event id of its own and signed ahead (wrk's Lua has
no HMAC). In the same run, and in turns, a minimal view that inserts one row (the ceiling: what
any Django view on this server and database costs), then the intake, then a storm: every delivery
again, shuffled. It checks that every delivery was stored once.

    DATABASE_URL=postgres://… .venv/bin/python bench/intake [--seconds 10] [--threads 4] [--broker orm|redis]
    … bench/intake --profile    where the time of one delivery goes, in-process, without the server
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PORT = 8741
SECRET_KEY = "intake-bench-secret-key-not-for-production-0123456789"  # noqa: S105
FIELD_KEY = "aW50YWtlLWJlbmNoLWtleS1ub3Qtc2VjcmV0LTAwMDA="
WEBHOOK_SECRET = "whsec_intake_bench"  # noqa: S105
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk.lua"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/intake", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deliveries", type=int, default=20000, help="distinct requests per phase (default 20000)")
    parser.add_argument("--seconds", type=int, default=10, help="length of each phase (default 10)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads in the one process")
    parser.add_argument("--connections", type=int, default=8, help="wrk keep-alive connections")
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    parser.add_argument(
        "--no-health-checks", dest="health_checks", action="store_false", help="DATABASE_CONN_HEALTH_CHECKS=0"
    )
    parser.add_argument("--rounds", type=int, default=2, help="ceiling/intake turns (default 2)")
    parser.add_argument("--profile", action="store_true", help="profile the intake in-process instead")
    args = parser.parse_args(argv)

    if not shutil.which("wrk") and not args.profile:
        print("Intake bench skipped: it needs wrk (apt-get install wrk).")
        return 0
    scratch = Path(tempfile.mkdtemp(prefix="paraph-intake-"))
    os.environ.update(_environment(args, scratch))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from bench.intake import run

    try:
        if args.profile:
            return run.profile(secret=WEBHOOK_SECRET)
        return run.measure(args=args, scratch=scratch, port=PORT, secret=WEBHOOK_SECRET, script=WRK_SCRIPT)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _environment(args, scratch: Path) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.intake.settings",
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": FIELD_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(scratch),
        "LOG_LEVEL": "WARNING",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": str(args.threads),
        "DATABASE_CONN_HEALTH_CHECKS": "1" if args.health_checks else "0",
    }
    if args.broker == "redis":
        env["REDIS_URL"] = os.environ.get("INTAKE_REDIS_URL", "redis://127.0.0.1:6379/15")
    else:
        os.environ.pop("REDIS_URL", None)
    return env


if __name__ == "__main__":
    sys.exit(main())
