"""The one settings module of motcua.

Every deployment knob is an environment variable, read here and documented next to where it is
read. `motcua settings-help` prints this list. Nothing secret has a usable default in production:
with DEBUG off, the default secret key refuses to start.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
INSECURE_SECRET_KEY = "motcua-insecure-development-key-never-use-in-production"  # noqa: S105


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# MOTCUA_DEBUG: development mode (detailed errors, no HTTPS-only cookies). Default off.
DEBUG = env_bool("MOTCUA_DEBUG", False)

# MOTCUA_SECRET_KEY: signs sessions, CSRF tokens and password resets. Required when DEBUG is off.
SECRET_KEY = os.environ.get("MOTCUA_SECRET_KEY", INSECURE_SECRET_KEY)
if SECRET_KEY == INSECURE_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "MOTCUA_SECRET_KEY is not set and MOTCUA_DEBUG is off: refusing to start with the "
        "development secret key. Set MOTCUA_SECRET_KEY to a long random value."
    )

# MOTCUA_DATA_DIR: where the embedded SQLite database, uploaded files and caches live.
DATA_DIR = Path(os.environ.get("MOTCUA_DATA_DIR", Path.cwd() / "var")).resolve()

# MOTCUA_ALLOWED_HOSTS: comma-separated host names this deployment answers to.
ALLOWED_HOSTS = env_list("MOTCUA_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

# MOTCUA_CSRF_TRUSTED_ORIGINS: comma-separated origins (scheme://host) allowed to POST.
CSRF_TRUSTED_ORIGINS = env_list("MOTCUA_CSRF_TRUSTED_ORIGINS", [])

# MOTCUA_PROVINCE_CODE: the province this deployment serves (QĐ 19/2025 code; 22 = Quảng Ninh).
PROVINCE_CODE = os.environ.get("MOTCUA_PROVINCE_CODE", "22")

# MOTCUA_SECURE: HTTPS-only cookies, HSTS and redirect to HTTPS. Default: on unless DEBUG.
SECURE = env_bool("MOTCUA_SECURE", not DEBUG)

# MOTCUA_EVENTS_REPLAY_SECONDS: how long live events are kept for clients that reconnect.
EVENTS_REPLAY_SECONDS = int(os.environ.get("MOTCUA_EVENTS_REPLAY_SECONDS", "900"))

# MOTCUA_PUBLIC_URL: the address citizens reach this deployment at; the QR codes printed on
# slips link to its tracking page.
PUBLIC_URL = os.environ.get("MOTCUA_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# MOTCUA_UPLOAD_MAX_MB: the largest file accepted for one document of a dossier.
UPLOAD_MAX_BYTES = int(float(os.environ.get("MOTCUA_UPLOAD_MAX_MB", "20")) * 1024 * 1024)
# MOTCUA_UPLOAD_MAX_PAGES: the most pages accepted in one uploaded PDF.
UPLOAD_MAX_PAGES = int(os.environ.get("MOTCUA_UPLOAD_MAX_PAGES", "200"))
# A whole dossier form (several documents) must fit through Django's request limits.
# API clients send files base64-encoded inside the JSON body (4/3 of their size).
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES * 2
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# MOTCUA_PAYMENT_PROVIDER: the online payment gateway; "demo" is the simulator shipped in
# motcua.payments (a real deployment plugs in its bank's or the national portal's gateway).
PAYMENT_PROVIDER = os.environ.get("MOTCUA_PAYMENT_PROVIDER", "demo")
# MOTCUA_PAYMENT_SECRET: the key shared with the gateway to sign requests and answers.
# Default: derived from the secret key, which only suits the demo gateway.
PAYMENT_SECRET = os.environ.get("MOTCUA_PAYMENT_SECRET", "")

# MOTCUA_NATIONAL_DB_PROVIDER: how the national databases (population, civil status, business
# registration) are reached: "demo" is the simulator this process serves under
# /simulators/national-db; "http" a bridge at the province's LGSP speaking the protocol of
# motcua.digitisation.national; or the dotted path of a NationalDatabases class.
NATIONAL_DB_PROVIDER = os.environ.get("MOTCUA_NATIONAL_DB_PROVIDER", "demo")
# MOTCUA_NATIONAL_DB_URL: that bridge's base URL (for "demo", default MOTCUA_PUBLIC_URL +
# /simulators/national-db).
NATIONAL_DB_URL = os.environ.get("MOTCUA_NATIONAL_DB_URL", "")
# MOTCUA_NATIONAL_DB_TOKEN: the agency's bearer token. Default: derived from the secret key,
# which only suits the demo simulator.
NATIONAL_DB_TOKEN = os.environ.get("MOTCUA_NATIONAL_DB_TOKEN", "")

# National public service portal synchronisation (motcua.interop.portal). MOTCUA_PORTAL_URL:
# the portal's API base URL; empty = neither pushing statuses nor pulling dossiers.
# MOTCUA_PORTAL_TOKEN: the bearer token the portal issued to this province.
# MOTCUA_PORTAL_PULL_MINUTES: how often dossiers filed on the portal are pulled into intake.
# MOTCUA_PORTAL_PROCEDURE_SUFFIX: the locality suffix the portal appends to national procedure
# codes (e.g. 000.00.00.H22); empty = none.
PORTAL_URL = os.environ.get("MOTCUA_PORTAL_URL", "").rstrip("/")
PORTAL_TOKEN = os.environ.get("MOTCUA_PORTAL_TOKEN", "")
PORTAL_PULL_MINUTES = int(os.environ.get("MOTCUA_PORTAL_PULL_MINUTES", "5"))
PORTAL_PROCEDURE_SUFFIX = os.environ.get("MOTCUA_PORTAL_PROCEDURE_SUFFIX", "")

# The outbox (motcua.interop.delivery). MOTCUA_OUTBOX_LEASE_SECONDS: how long a worker holds
# the deliveries it is sending; those of a worker that died go to another after that.
# MOTCUA_OUTBOX_MAX_ATTEMPTS: attempts before a delivery becomes a dead letter (the waits
# double from 10 s up to 6 h: 15 attempts span about a day).
# MOTCUA_WEBHOOKS_ALLOW_HTTP: accept plain-http webhook URLs beyond localhost (never in production).
OUTBOX_LEASE_SECONDS = int(os.environ.get("MOTCUA_OUTBOX_LEASE_SECONDS", "60"))
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("MOTCUA_OUTBOX_MAX_ATTEMPTS", "15"))
WEBHOOKS_ALLOW_HTTP = env_bool("MOTCUA_WEBHOOKS_ALLOW_HTTP", False)

# MOTCUA_OPEN_DATA_MAX_AGE: seconds browsers and shared caches may keep an open data file.
OPEN_DATA_MAX_AGE = int(os.environ.get("MOTCUA_OPEN_DATA_MAX_AGE", "300"))

# MOTCUA_DEV_EID: serve the development e-ID provider (an OpenID Connect provider with test
# personas, as Singapore's MockPass is for Singpass) under /dev-eid/. On in the demo (debug),
# off in production unless enabled.
DEV_EID_PROVIDER = env_bool("MOTCUA_DEV_EID", DEBUG)
# MOTCUA_EID_ISSUER, MOTCUA_EID_CLIENT_ID, MOTCUA_EID_CLIENT_SECRET: the e-ID provider citizens
# log in with (OpenID Connect; its discovery document is at ISSUER/.well-known/...). Default:
# the development provider above, when it is on.
EID_ISSUER = os.environ.get("MOTCUA_EID_ISSUER", "")
EID_CLIENT_ID = os.environ.get("MOTCUA_EID_CLIENT_ID", "motcua")
EID_CLIENT_SECRET = os.environ.get("MOTCUA_EID_CLIENT_SECRET", "")

# Verifiable credentials of results (SD-JWT VC). MOTCUA_CREDENTIAL_VALIDITY_DAYS: how long one
# is valid (five years by default; revocation ends it sooner). MOTCUA_CREDENTIAL_TRUSTED_CAS
# (PEM file paths) and MOTCUA_CREDENTIAL_TRUSTED_ISSUERS (issuer URLs), comma-separated: other
# provinces whose credentials and seals the verifier accepts, beside this deployment's own.
CREDENTIAL_VALIDITY_DAYS = int(os.environ.get("MOTCUA_CREDENTIAL_VALIDITY_DAYS", "1826"))
CREDENTIAL_TRUSTED_CAS = env_list("MOTCUA_CREDENTIAL_TRUSTED_CAS", [])
CREDENTIAL_TRUSTED_ISSUERS = env_list("MOTCUA_CREDENTIAL_TRUSTED_ISSUERS", [])

# MOTCUA_DEMO_DOSSIERS: how many synthetic dossiers the demo generates for a whole year (in
# proportion to the part of the year gone by), so that its monitoring pages open populated.
MONITORING_DEMO_DOSSIERS = int(os.environ.get("MOTCUA_DEMO_DOSSIERS", "20000"))

# MOTCUA_EMAIL_HOST, MOTCUA_EMAIL_PORT, MOTCUA_EMAIL_USER, MOTCUA_EMAIL_PASSWORD,
# MOTCUA_EMAIL_FROM: the SMTP server that mails slips and notices to applicants (STARTTLS).
# Without a host, each mail is written as a file under MOTCUA_DATA_DIR/mail instead.
EMAIL_HOST = os.environ.get("MOTCUA_EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_PORT = int(os.environ.get("MOTCUA_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("MOTCUA_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("MOTCUA_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = bool(EMAIL_HOST)
DEFAULT_FROM_EMAIL = os.environ.get("MOTCUA_EMAIL_FROM", "motcua@localhost")

# Notifications to applicants (motcua.core.notifications).
# MOTCUA_NOTIFICATION_CHANNELS: comma-separated channels applicants are notified on, among
# email, sms and zalo. Default: all three.
MOTCUA_NOTIFICATION_CHANNELS = env_list("MOTCUA_NOTIFICATION_CHANNELS", ["email", "sms", "zalo"])
# MOTCUA_SMS_BACKEND, MOTCUA_ZALO_BACKEND: dotted paths of the `TextBackend` classes that send
# SMS and Zalo messages (the operator's or Zalo's API client). Default: backends that only
# write each message to the log, for the demo.
MOTCUA_SMS_BACKEND = (
    os.environ.get("MOTCUA_SMS_BACKEND") or "motcua.core.notifications.LoggingSmsBackend"
)
MOTCUA_ZALO_BACKEND = (
    os.environ.get("MOTCUA_ZALO_BACKEND") or "motcua.core.notifications.LoggingZaloBackend"
)

# MOTCUA_LOGIN_RATE: staff login attempts allowed per IP address and per user name.
LOGIN_RATE = os.environ.get("MOTCUA_LOGIN_RATE", "10/5m")

INSTALLED_APPS = [
    "motcua.core.admin_apps.MotcuaAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "motcua.core",
    "motcua.organisation",
    "motcua.workcalendar",
    "motcua.catalogue",
    "motcua.dossiers",
    "motcua.payments",
    "motcua.queueing",
    "motcua.digitisation",
    "motcua.identity",
    "motcua.credentials",
    "motcua.monitoring",
    "oauth2_provider",
    "motcua.interop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "motcua.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "motcua.core.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "motcua.core.middleware.PrincipalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "motcua.core.middleware.MotcuaErrorMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "motcua.urls"
ASGI_APPLICATION = "motcua.asgi.application"

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
                "django.template.context_processors.i18n",
                "motcua.core.context_processors.navigation",
            ],
        },
    },
]

# DATABASE_URL: the database. Default: embedded SQLite in MOTCUA_DATA_DIR.
# PostgreSQL: postgresql:///motcua?host=/var/run/postgresql or postgres://user:pw@host/db.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'motcua.sqlite3'}"),
        conn_max_age=int(os.environ.get("MOTCUA_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite creates the file but not its folder: a fresh checkout has no ./var yet.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at BEGIN so
    # that two writers queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA foreign_keys=ON;",
    }
# MOTCUA_DB_POOL_SIZE: on PostgreSQL, the most connections each web or worker process keeps in
# a pool (psycopg's). Under ASGI, persistent connections (MOTCUA_DB_CONN_MAX_AGE) leak, one per
# request thread; a pool reuses them and caps the transactions a process runs at once. 0: no
# pool, a new connection per request.
DB_POOL_SIZE = int(os.environ.get("MOTCUA_DB_POOL_SIZE", "0"))
if DB_POOL_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_SIZE,
        "timeout": 30,
    }
# MOTCUA_TEST_DB_NAME: the test database's name (tests started as separate processes use it).
# On SQLite the test database is a file, not Django's shared in-memory one: tests with threads
# and servers then meet SQLite's real locking (WAL, busy timeout), as the demo does.
TEST_DB_NAME = os.environ.get("MOTCUA_TEST_DB_NAME") or (
    str(DATA_DIR / "test-motcua.sqlite3")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    else None
)
DATABASES["default"]["TEST"] = {"NAME": TEST_DB_NAME}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The database cache is shared by every web and worker process (rate limits need that).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "motcua_cache",
    }
}

# Background jobs: django-tasks API, stored in the database (works on SQLite and PostgreSQL).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        # "ocr": the digitisation pipeline, minutes of CPU a document: its own workers.
        "QUEUES": ["default", "slow", "ocr"],
    }
}

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "motcua.core.backends.RolePermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
# MOTCUA_STATIC_MANIFEST: hashed static file names, cached for a year by browsers; needs
# `motcua collectstatic` after each upgrade. Default: on unless DEBUG.
STATIC_MANIFEST = env_bool("MOTCUA_STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve static files straight from the apps: no collectstatic step for the demo or tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"
# MOTCUA_PKI_DIR: the demo CA and each agency's signing key and certificate (mode 0600); never
# in the repository. A production deployment points it at the province's key store.
MOTCUA_PKI_DIR = Path(os.environ.get("MOTCUA_PKI_DIR", DATA_DIR / "pki")).resolve()
MEDIA_URL = "/media/"

# Security headers. The CSP allows only this origin: every script and style is vendored.
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = SECURE and env_bool("MOTCUA_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31_536_000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# MOTCUA_PUBLIC_RATE: requests per IP address to public pages and API operations.
PUBLIC_RATE = os.environ.get("MOTCUA_PUBLIC_RATE", "120/m")

RATELIMIT_VIEW = "motcua.core.views.rate_limited"

# Other agencies' systems (motcua.interop.clients): OAuth 2.0 client credentials only, scopes
# from each client's authorisations, secrets kept hashed, no refresh tokens.
# MOTCUA_API_TOKEN_SECONDS: lifetime of an API client's access token (default 1 hour).
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("MOTCUA_API_TOKEN_SECONDS", "3600")),
    "SCOPES_BACKEND_CLASS": "motcua.interop.clients.oauth.ClientScopes",
    "OAUTH2_VALIDATOR_CLASS": "motcua.interop.clients.oauth.ClientValidator",
}
# DOT's own model, named so that migrations pointing at it resolve (DOT reads it as swappable).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MOTCUA_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint reports every font it loads at INFO: a slip would fill the log.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # pikepdf greets every process at INFO; pyHanko warns of each signature that it
        # embeds validation data without fetching revocation info (offline, by design).
        "pikepdf": {"level": "WARNING"},
        "pyhanko.sign.signers.pdf_signer": {"level": "ERROR"},
        # httpx logs every request at INFO: each webhook, portal and peer delivery would.
        "httpx": {"level": "WARNING"},
    },
}
