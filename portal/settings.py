"""Paraph settings. Everything that differs between machines comes from the environment;
the README's configuration table lists every variable."""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from portal.kernel.env import email_settings_from_url, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

# Development is the default so that `make run` works with nothing set;
# production sets DEBUG=0 and `check --deploy` reminds of everything else.
DEBUG = env_bool("DEBUG", True)


def _development_secret_key() -> str:
    """A random key kept under var/, so development sessions survive restarts
    without a well-known key in the source."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "development-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL)
ADMIN_URL = env_str("ADMIN_URL", "admin/").strip("/") + "/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Trigram lookups and index operations for search on PostgreSQL (harmless on SQLite).
    "django.contrib.postgres",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "template_partials",
    "django_q",
    "csp",
    "portal",
    "envelopes",
    "providers",
    "providers.builtin",
    # `seed_bench`: fills a database with realistic volumes for `make bench`.
    "bench.seeding",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.kernel.tenancy.CurrentOrganizationMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.pages.context_processors.organization",
                "providers.context_processors.reconnect_banner",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# SQLite under var/ needs no setup; DATABASE_URL=postgres://… switches to
# PostgreSQL through psycopg 3 with persistent, health-checked connections.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'paraph.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600),
        # A reused connection is tested (SELECT 1) at the start of each request, so a database
        # restart costs no failed request; that is one more round trip per request.
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web server and worker share the file: wait for a lock instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    # A file (not memory) so that a real worker process can reach the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and queue --------------------------------------------------------
# The cache carries allauth's rate limits and the worker's heartbeat, so it must be
# shared by every process: Redis when configured, the database otherwise.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "paraph_cache"}}

Q_CLUSTER = {
    "name": "paraph",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT", 120),
    "retry": env_int("Q_TIMEOUT", 120) + 60,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 5000,
    "poll": 1,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Accounts ---------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "optional" if DEBUG else "mandatory")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Paraph] "
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# allauth's rate limits stay on (its defaults); listed here so operators see them.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    # Not allauth's: PDFs checked on the public /verify/ page, per IP address, through the same
    # rate limiter (each check parses a PDF of up to MAX_DOCUMENT_MB).
    "verify_pdf": env_str("VERIFY_RATE_LIMIT", "10/m/ip,100/h/ip"),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Paraph"

# --- E-mail -----------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Paraph <paraph@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 20
if env_str("EMAIL_URL"):
    globals().update(email_settings_from_url(env_str("EMAIL_URL")))
elif env_str("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Secrets at rest --------------------------------------------------------
# Fernet keys, newest first; older keys still decrypt, so adding one rotates.
# --- Providers ----------------------------------------------------------------
# Formify is offered on the connection screen once FORMIFY_CLIENT_ID is set.
FORMIFY_API_URL = env_str("FORMIFY_API_URL", "https://docs-api.formify.se/v1").rstrip("/")
FORMIFY_AUTHORIZE_URL = env_str("FORMIFY_AUTHORIZE_URL", "https://app.formify.eu/#/oauth")
FORMIFY_CLIENT_ID = env_str("FORMIFY_CLIENT_ID")
FORMIFY_CLIENT_SECRET = env_str("FORMIFY_CLIENT_SECRET")
# Scrive is always offered (an admin pastes personal access credentials); with SCRIVE_CLIENT_ID and
# SCRIVE_CLIENT_SECRET set, admins connect through Scrive's OAuth 1 authorization page instead.
# The testbed is https://api-testbed.scrive.com.
SCRIVE_API_URL = env_str("SCRIVE_API_URL", "https://scrive.com").rstrip("/")
SCRIVE_CLIENT_ID = env_str("SCRIVE_CLIENT_ID")
SCRIVE_CLIENT_SECRET = env_str("SCRIVE_CLIENT_SECRET")

# EasyInk is offered on the connection screen once EASYINK_CLIENT_ID is set.
EASYINK_API_URL = env_str("EASYINK_API_URL", "https://api.easyink.io").rstrip("/")
EASYINK_IDENTITY_URL = env_str("EASYINK_IDENTITY_URL", "https://identity.easyink.io").rstrip("/")
EASYINK_CLIENT_ID = env_str("EASYINK_CLIENT_ID")
EASYINK_CLIENT_SECRET = env_str("EASYINK_CLIENT_SECRET")
# Corrections to EasyInk's non-public paths without a release: "name=/api/path/{id},name2=…".
EASYINK_PATHS = env_str("EASYINK_PATHS")


# TransactionLink (screening before signing): each organization pastes its own API token or key and
# secret, so only the API's address is set here (empty hides the provider).
TRANSACTIONLINK_API_URL = env_str("TRANSACTIONLINK_API_URL", "https://api.transactionlink.io").rstrip("/")
# Development: `manage.py serve` (make run) runs a simulator of each external provider and points
# the settings above at it through the environment (portal/simulation). Never in production:
# `check --deploy` refuses it with DEBUG off.
SIMULATED_PROVIDERS = env_bool("SIMULATED_PROVIDERS", DEBUG)

FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS and DEBUG:
    FIELD_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_FAILURE_VIEW = "portal.pages.views.errors.csrf_failure"
# Everything is served from our own origin: no CDN, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Static and media files -------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
if DEBUG:
    # Static files come from the app folders in development; an empty root keeps WhiteNoise quiet.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Logging ----------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"secret_paths": {"()": "portal.kernel.logfilters.RedactSecretPaths"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["secret_paths"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # django-q2 logs as "django-q"; at INFO it writes a line for every task queued, i.e. for
        # every webhook delivery the portal receives.
        "django-q": {"level": env_str("Q_LOG_LEVEL", "WARNING"), "propagate": True},
        # runserver's request log has its own handler: give it the same filter.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Their debug output contains access and refresh tokens: never below WARNING.
        "requests_oauthlib": {"level": "WARNING"},
        "oauthlib": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}

# --- Paraph -----------------------------------------------------------------
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7)
MAX_DOCUMENT_MB = env_int("MAX_DOCUMENT_MB", 50)
# More pages than this are refused at upload, before anything reads them all.
MAX_DOCUMENT_PAGES = env_int("MAX_DOCUMENT_PAGES", 500)
# Memory one page preview may use (it is drawn in a process of its own); beyond it the page is
# shown as "too complex to show".
PREVIEW_MEMORY_MB = env_int("PREVIEW_MEMORY_MB", 192)
# Built-in signing: the certificate that seals completed PDFs (PKCS#12). Unset: one is made on
# first use and kept encrypted in the database.
SIGNING_CERT_FILE = env_str("SIGNING_CERT_FILE")
SIGNING_CERT_PASSWORD = env_str("SIGNING_CERT_PASSWORD")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DEMO_EMAIL = "demo@paraph.test"
DEMO_PASSWORD = "paraph-demo-2026"
