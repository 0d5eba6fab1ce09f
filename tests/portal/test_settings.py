"""Settings come from the environment; these run a fresh interpreter per case so each
environment is read the way a server process reads it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import child_environment

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-for-tests-only-9f8a7s6d5f4g3h2j1k0l-and-long-enough-to-pass-the-check",
    "ALLOWED_HOSTS": "sign.acme.test",
    "SITE_URL": "https://sign.acme.test",
    "FIELD_ENCRYPTION_KEYS": "x0ZQ7YdJ3x2W1K8xqH6vQ0Qy4b2m7yQe3m8nXrj5Wmc=",
    "DATABASE_URL": "postgres://paraph:secret@db.acme.test:5432/paraph",
    "EMAIL_URL": "submission://paraph:secret@mail.acme.test",
}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in child_environment().items() if k not in PRODUCTION and k != "REDIS_URL"}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**inherited, **env}, capture_output=True, text=True, timeout=60
    )


def settings_in(env: dict[str, str], *names: str) -> dict:
    code = (
        "import json, django; from django.conf import settings; import os;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings');"
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_passes_with_production_values():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_secret_key_is_required_when_debug_is_off():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_missing_encryption_keys_fail_the_check_in_production():
    env = {**PRODUCTION, "FIELD_ENCRYPTION_KEYS": ""}
    result = run(["manage.py", "check", "--deploy"], env)
    assert result.returncode != 0
    assert "paraph.E001" in result.stderr


def test_production_requires_email_verification_and_secure_cookies():
    values = settings_in(
        PRODUCTION, "ACCOUNT_EMAIL_VERIFICATION", "SESSION_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "EMAIL_PORT"
    )
    assert values == {
        "ACCOUNT_EMAIL_VERIFICATION": "mandatory",
        "SESSION_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "EMAIL_PORT": 587,
    }


def test_postgres_url_uses_psycopg_with_persistent_connections():
    db = settings_in(PRODUCTION, "DATABASES")["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["HOST"], db["PORT"]) == ("paraph", "db.acme.test", 5432)
    assert db["CONN_MAX_AGE"] == 600 and db["CONN_HEALTH_CHECKS"] is True


def test_development_defaults_need_nothing_set(tmp_path):
    values = settings_in({"VAR_DIR": str(tmp_path)}, "DEBUG", "DATABASES", "EMAIL_BACKEND", "Q_CLUSTER")
    assert values["DEBUG"] is True
    assert values["DATABASES"]["default"]["NAME"] == str(tmp_path / "paraph.sqlite3")
    assert values["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert values["Q_CLUSTER"]["orm"] == "default"


def test_redis_url_switches_queue_and_cache_to_redis(tmp_path):
    env = {"VAR_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/3"}
    values = settings_in(env, "Q_CLUSTER", "CACHES")
    assert values["Q_CLUSTER"]["redis"] == "redis://127.0.0.1:6379/3"
    assert "orm" not in values["Q_CLUSTER"]
    assert values["CACHES"]["default"]["BACKEND"].endswith("RedisCache")
