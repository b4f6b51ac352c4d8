"""Django settings for govflow, read from the environment (django-environ).

Embedded default: SQLite + eager Celery. Production: DATABASE_URL (PostgreSQL),
CELERY_BROKER_URL (Redis), SECRET_KEY, ALLOWED_HOSTS, DEBUG off.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-development-key-only-for-debug-mode-do-not-deploy"  # noqa: S105
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "viewflow.workflow",
    "rest_framework",
    "govflow.api.apps.KnoxConfig",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served by the project, not a CDN
    "govflow.accounts.apps.AxesConfig",  # django-axes under a translated name
    # Two-factor sign-in (govflow/accounts/two_factor.py): TOTP authenticators and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "govflow.accounts",
    "govflow.catalog",
    "govflow.designer",
    "govflow.parties",
    "govflow.applications",
    "govflow.stats",
    "govflow.notifications",
    "govflow.api",
    "govflow.govstack",
    "govflow.portal",
    "govflow.workbench",
    "django_htmx",
    "govflow.bench",
    "govflow.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The request's own address, for the links of the notifications it causes (GOVFLOW_SITE_URL unset).
    "govflow.notifications.sites.RequestSiteMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control: no-store on everything that may carry personal data (not on static files).
    "govflow.middleware.NoStoreMiddleware",
    # 400 for a NUL in the query string, before any view reads it.
    "govflow.middleware.RefuseNulQueryMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "govflow.api.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Access records (issue 20): the reads a request records, written in one INSERT after the view.
    "govflow.applications.access.AccessRecorderMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff sessions end after GOVFLOW_STAFF_IDLE_MINUTES without a request (citizens: SESSION_COOKIE_AGE).
    "govflow.accounts.sessions.StaffIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a login flagged as locked out (admin, portal, API token) into a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "govflow.urls"
# A CSRF failure under /api/ is JSON like every other API error.
CSRF_FAILURE_VIEW = "govflow.api.exceptions.csrf_failure"

# Content-Security-Policy (django-csp): everything from this site only, no inline script or style
# (the templates have none: scripts and styles are static files, Swagger UI's init script is
# docs/?script), no plugins, no framing, forms post only here. data: images are allowed for the
# icons Swagger UI's and the admin's stylesheets embed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "govflow" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "govflow.portal.context_processors.sign_in",
            ],
            # The error summary's entries, shared by the portal, the workbench and the admin.
            "libraries": {"govflow_forms": "govflow.web"},
        },
    },
]

WSGI_APPLICATION = "govflow.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Keep a worker's connection between requests (a new PostgreSQL connection costs a few ms of
    # every request) and check it before reuse, so a restarted server costs one retry, not errors.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Bind parameters on the server, and let psycopg prepare a statement once a connection has
    # run it 5 times: the board's and the queues' queries are then parsed once per connection,
    # not per request (about 2 ms of a 15 ms page, BENCHMARKS.md). Turn it off behind a
    # transaction-pooling PgBouncer older than 1.21, which cannot keep prepared statements.
    if env.bool("DATABASE_SERVER_SIDE_BINDING", default=True):
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", env.int("DATABASE_PREPARE_THRESHOLD", default=5))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for the writer instead of failing at once when two requests write together.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    DATABASES["default"]["TEST"] = {"NAME": env.str("SQLITE_TEST_NAME", default="") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Axes first: it refuses a locked-out (username, address) pair before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Site-wide static files of no single app: the favicon (govflow/static/govflow/).
STATICFILES_DIRS = [BASE_DIR / "govflow" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise serves static files in the embedded default; compressed + hashed outside DEBUG.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# Uploaded documents: never served from a public URL, only through access-checked views.
# In the embedded default WhiteNoise serves straight from the apps' static folders (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = None  # deliberately unset: no public media URL
# Uploaded documents are readable by the server's user only: files 0600, and every directory the
# storage creates (MEDIA_ROOT itself included, when it does not exist yet) 0700.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

LOGIN_URL = "/accounts/login/"
# Sessions of staff (is_staff, or a department membership) end after this many minutes without a request.
GOVFLOW_STAFF_IDLE_MINUTES = env.int("GOVFLOW_STAFF_IDLE_MINUTES", default=30)
# Two-factor sign-in (docs/privacy.md "Two-factor sign-in"): "required" makes staff (is_staff, superusers,
# office members) sign in with an authenticator app's code, enrolling one at their next sign-in;
# "optional" forces nobody. Either way whoever has an authenticator gives its code, on the web and for
# an API token (the `otp` field). Default: required, except with DEBUG=1 (the demo and its clerks).
GOVFLOW_STAFF_TWO_FACTOR = env.str("GOVFLOW_STAFF_TWO_FACTOR", default="optional" if DEBUG else "required")
if GOVFLOW_STAFF_TWO_FACTOR not in ("required", "optional"):
    raise ImproperlyConfigured('GOVFLOW_STAFF_TWO_FACTOR must be "required" or "optional".')
# Minutes between the password step and the code (or enrolment) step before the password is asked again.
GOVFLOW_TWO_FACTOR_PENDING_MINUTES = env.int("GOVFLOW_TWO_FACTOR_PENDING_MINUTES", default=10)
# The name authenticator apps show next to the account.
OTP_TOTP_ISSUER = env.str("GOVFLOW_TOTP_ISSUER", default="govflow")
# Forgotten passwords (citizens): an emailed link valid PASSWORD_RESET_TIMEOUT seconds (Django's token),
# or an SMS code valid GOVFLOW_PASSWORD_RESET_CODE_MINUTES that dies after GOVFLOW_PASSWORD_RESET_CODE_ATTEMPTS
# wrong tries. At most GOVFLOW_PASSWORD_RESET_RATE messages per account and GOVFLOW_PASSWORD_RESET_ADDRESS_RATE
# requests per client address an hour.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)
GOVFLOW_PASSWORD_RESET_CODE_MINUTES = env.int("GOVFLOW_PASSWORD_RESET_CODE_MINUTES", default=15)
GOVFLOW_PASSWORD_RESET_CODE_ATTEMPTS = env.int("GOVFLOW_PASSWORD_RESET_CODE_ATTEMPTS", default=5)
GOVFLOW_PASSWORD_RESET_RATE = env.int("GOVFLOW_PASSWORD_RESET_RATE", default=5)
GOVFLOW_PASSWORD_RESET_ADDRESS_RATE = env.int("GOVFLOW_PASSWORD_RESET_ADDRESS_RATE", default=20)

# Cache: shared by every process. The embedded default is Django's database cache in the table
# govflow_cache, which `migrate` creates (accounts migration 0007); in production set
# CACHE_URL=redis://host:6379/1 (or keep the database cache). Rate limits do not depend on it
# (they count in the database, govflow/accounts/limits.py); the calendar's version check does.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://govflow_cache")}

# The client address every limit and the login lockout see is REMOTE_ADDR. Behind N reverse proxies
# that each append to X-Forwarded-For, set GOVFLOW_TRUSTED_PROXY_COUNT=N: the WSGI entry point then
# takes the address N hops from the right of X-Forwarded-For (werkzeug's ProxyFix), so entries a
# client adds itself are ignored. 0 (the default): X-Forwarded-For is never read.
GOVFLOW_TRUSTED_PROXY_COUNT = env.int("GOVFLOW_TRUSTED_PROXY_COUNT", default=0)

# Login lockout (django-axes): after AXES_FAILURE_LIMIT failures for one username from one client
# address, that pair is refused for AXES_COOLOFF_TIME (429 with Retry-After). Per username *and*
# address, so nobody can lock a citizen out from elsewhere. Applies to the admin, the portal login
# and POST /api/v1/auth/token/.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "govflow.api.auth.lockout_response"
# Password spraying: besides the lockout per (username, address), an address with
# GOVFLOW_LOGIN_ADDRESS_FAILURE_LIMIT failed logins across all usernames in a clock hour is refused
# (429 with Retry-After until the hour ends). The handler is axes' database handler plus that count.
AXES_HANDLER = "govflow.accounts.lockout.AddressLimitedAxesHandler"
GOVFLOW_LOGIN_ADDRESS_FAILURE_LIMIT = env.int("GOVFLOW_LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
# The client address is REMOTE_ADDR (see GOVFLOW_TRUSTED_PROXY_COUNT): axes must not guess from headers.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
# Self-registration (portal and API alike): attempts per client address per clock hour.
GOVFLOW_REGISTER_RATE = env.int("GOVFLOW_REGISTER_RATE", default=10)
# Notices to an id number's owner that someone tried to register it: at most this many a day
# (more attempts are answered the same, and tell the owner nothing new).
GOVFLOW_REGISTRATION_NOTICE_RATE = env.int("GOVFLOW_REGISTRATION_NOTICE_RATE", default=3)

# Self-registration with a username and password (portal and API). Keep it for demos and
# training; turn it off where people sign in through the unified identity provider (below): the
# register page and POST /api/v1/auth/register/ then answer 404 and the sign-in page has no link.
GOVFLOW_SELF_REGISTRATION = env.bool("GOVFLOW_SELF_REGISTRATION", default=True)

# Papers (docs/papers.md): the help-line printed on acceptance receipts (12345 is the government
# service hotline), and how many public verification pages (receipts, certificates) one client
# address may open per clock hour (no one enumerates tokens; a wrong token counts too).
GOVFLOW_HELP_LINE = env.str("GOVFLOW_HELP_LINE", default="12345")
GOVFLOW_VERIFY_RATE = env.int("GOVFLOW_VERIFY_RATE", default=120)

# Unified identity (统一身份认证): citizens and company representatives sign in through an OpenID
# Connect provider (mozilla-django-oidc, authorization-code flow with PKCE, ID token signature checked
# against the provider's JWKS). Off unless GOVFLOW_OIDC_ISSUER is set; then the client id and secret
# and the four endpoints must be set too (docs/identity.md). Staff always sign in locally.
GOVFLOW_OIDC_ISSUER = env.str("GOVFLOW_OIDC_ISSUER", default="").rstrip("/")
GOVFLOW_OIDC_ENABLED = bool(GOVFLOW_OIDC_ISSUER)
GOVFLOW_OIDC_PROVIDER_NAME = env.str("GOVFLOW_OIDC_PROVIDER_NAME", default="")  # "Sign in with <name>"
OIDC_RP_CLIENT_ID = env.str("GOVFLOW_OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("GOVFLOW_OIDC_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("GOVFLOW_OIDC_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("GOVFLOW_OIDC_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("GOVFLOW_OIDC_USERINFO_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("GOVFLOW_OIDC_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("GOVFLOW_OIDC_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("GOVFLOW_OIDC_SCOPES", default="openid profile email phone")
# How the client authenticates at the token endpoint: HTTP Basic (client_secret_basic, the default)
# or in the form body (client_secret_post).
OIDC_TOKEN_USE_BASIC_AUTH = env.str("GOVFLOW_OIDC_TOKEN_AUTH", default="basic") == "basic"
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_TIMEOUT = env.float("GOVFLOW_OIDC_TIMEOUT", default=10.0)
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
# The claims the provider's userinfo carries, by name (accounts.identity reads them).
GOVFLOW_OIDC_CLAIMS = {
    "id_number": env.str("GOVFLOW_OIDC_CLAIM_ID_NUMBER", default="id_number"),
    "name": env.str("GOVFLOW_OIDC_CLAIM_NAME", default="name"),
    "phone": env.str("GOVFLOW_OIDC_CLAIM_PHONE", default="phone_number"),
    "email": env.str("GOVFLOW_OIDC_CLAIM_EMAIL", default="email"),
    "uscc": env.str("GOVFLOW_OIDC_CLAIM_USCC", default="uscc"),
    "organisation_name": env.str("GOVFLOW_OIDC_CLAIM_ORGANISATION_NAME", default="organisation_name"),
    "legal_representative": env.str("GOVFLOW_OIDC_CLAIM_LEGAL_REPRESENTATIVE", default="legal_representative"),
    "legal_representative_name": env.str("GOVFLOW_OIDC_CLAIM_LEGAL_REPRESENTATIVE_NAME",
                                         default="legal_representative_name"),
}
if GOVFLOW_OIDC_ENABLED:
    _missing = [name for name, value in (
        ("GOVFLOW_OIDC_CLIENT_ID", OIDC_RP_CLIENT_ID), ("GOVFLOW_OIDC_CLIENT_SECRET", OIDC_RP_CLIENT_SECRET),
        ("GOVFLOW_OIDC_AUTHORIZATION_ENDPOINT", OIDC_OP_AUTHORIZATION_ENDPOINT),
        ("GOVFLOW_OIDC_TOKEN_ENDPOINT", OIDC_OP_TOKEN_ENDPOINT),
        ("GOVFLOW_OIDC_USERINFO_ENDPOINT", OIDC_OP_USER_ENDPOINT),
        ("GOVFLOW_OIDC_JWKS_ENDPOINT", OIDC_OP_JWKS_ENDPOINT)) if not value]
    if _missing:
        raise ImproperlyConfigured(f"GOVFLOW_OIDC_ISSUER is set, so these must be too: {', '.join(_missing)}.")
    AUTHENTICATION_BACKENDS.append("govflow.portal.oidc.OIDCBackend")

# Celery: eager unless a broker is configured.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Redis hands an unacknowledged message (a dead worker's) to another worker after visibility_timeout:
# keep it longer than the longest retry countdown (GOVFLOW_OUTBOX_RETRY_MAX), or a retry waiting
# in a worker would run twice. CELERY_BROKER_KEY_PREFIX lets several deployments share one Redis.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60)}
if env.str("CELERY_BROKER_KEY_PREFIX", default=""):
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = env.str("CELERY_BROKER_KEY_PREFIX")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # with acks_late: a busy worker does not sit on others' messages
CELERY_TASK_IGNORE_RESULT = True  # no result backend: every effect is in the database
CELERY_TIMEZONE = TIME_ZONE
# One beat process (`celery beat`, or `worker -B` on exactly one machine). A second one is harmless:
# each periodic task takes a database lock and runs at most once per period (notifications/locks.py).
# Expiry drops the backlog of a stopped worker instead of running every missed sweep at once.
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "govflow.notifications.tasks.sweep_outbox", "schedule": 60.0,
                     "kwargs": {"period": 60.0}, "options": {"expires": 60.0}},
    "sla-sweep": {"task": "govflow.applications.tasks.sweep_sla", "schedule": 300.0,
                  "kwargs": {"period": 300.0}, "options": {"expires": 300.0}},
    "deferral-sweep": {"task": "govflow.applications.tasks.sweep_deferrals", "schedule": 300.0,
                       "kwargs": {"period": 300.0}, "options": {"expires": 300.0}},
    "workflow-timers": {"task": "govflow.applications.tasks.fire_workflow_timers", "schedule": 60.0,
                        "kwargs": {"period": 60.0}, "options": {"expires": 60.0}},
    "verification-sweep": {"task": "govflow.applications.tasks.sweep_verifications", "schedule": 3600.0,
                           "kwargs": {"period": 3600.0}, "options": {"expires": 3600.0}},
    "access-seal": {"task": "govflow.applications.tasks.seal_access_log", "schedule": 60.0,
                    "kwargs": {"period": 60.0}, "options": {"expires": 60.0}},
    "access-purge": {"task": "govflow.applications.tasks.purge_access_log", "schedule": 86400.0,
                     "kwargs": {"period": 86400.0}, "options": {"expires": 86400.0}},
    "access-alerts": {"task": "govflow.applications.tasks.scan_access_alerts", "schedule": 900.0,
                      "kwargs": {"period": 900.0}, "options": {"expires": 900.0}},
    "export-expiry": {"task": "govflow.applications.tasks.expire_data_exports", "schedule": 3600.0,
                      "kwargs": {"period": 3600.0}, "options": {"expires": 3600.0}},
    "retention-sweep": {"task": "govflow.applications.tasks.sweep_retention", "schedule": 86400.0,
                        "kwargs": {"period": 86400.0}, "options": {"expires": 86400.0}},
    "offer-expiry": {"task": "govflow.applications.tasks.expire_offers", "schedule": 3600.0,
                     "kwargs": {"period": 3600.0}, "options": {"expires": 3600.0}},
    "idempotency-purge": {"task": "govflow.notifications.tasks.purge_idempotency_keys", "schedule": 3600.0,
                          "kwargs": {"period": 3600.0}, "options": {"expires": 3600.0}},
    # The supervision pages' daily rollup (docs/supervision.md): hourly, so it reaches yesterday
    # within an hour of midnight and catches up after any downtime.
    "stats-rollup": {"task": "govflow.stats.tasks.refresh_rollups", "schedule": 3600.0,
                     "kwargs": {"period": 3600.0}, "options": {"expires": 3600.0}},
}
# Days before yesterday the stats rollup rebuilds on every run, for decisions written late.
GOVFLOW_STATS_ROLLUP_RECENT_DAYS = env.int("GOVFLOW_STATS_ROLLUP_RECENT_DAYS", default=7)
# Proactive services (docs/proactive.md): days an offer waits for the applicant when its trigger
# names no expires_days; then the hourly beat job marks it expired and deletes its draft.
GOVFLOW_OFFER_EXPIRES_DAYS = env.int("GOVFLOW_OFFER_EXPIRES_DAYS", default=90)
# Access records (issue 20): the key of their integrity chain (default: derived from SECRET_KEY;
# set it to keep the chain verifiable across a SECRET_KEY rotation).
GOVFLOW_ACCESS_LOG_KEY = env.str("GOVFLOW_ACCESS_LOG_KEY", default="")
# Minutes an administrator's typed reason (support ticket) opens personal-data admin pages for.
# Days access records are kept, then purged by the daily beat job (0: kept for ever).
GOVFLOW_ACCESS_RECORD_DAYS = env.int("GOVFLOW_ACCESS_RECORD_DAYS", default=1095)
GOVFLOW_ADMIN_REASON_MINUTES = env.int("GOVFLOW_ADMIN_REASON_MINUTES", default=15)
# An alert to the office's supervisors when one member of staff reads more distinct people (or
# organisations) than this in one day (docs/privacy.md; 0 turns this alert off).
GOVFLOW_ACCESS_ALERT_DISTINCT_CITIZENS = env.int("GOVFLOW_ACCESS_ALERT_DISTINCT_CITIZENS", default=50)
# Download my data (docs/privacy.md): hours an archive may be downloaded once ready, and minutes
# between two requests of one person.
GOVFLOW_EXPORT_HOURS = env.float("GOVFLOW_EXPORT_HOURS", default=24.0)
GOVFLOW_EXPORT_RATE_MINUTES = env.float("GOVFLOW_EXPORT_RATE_MINUTES", default=60.0)
# Retention (docs/privacy.md): drafts untouched this many days are deleted by the daily beat job,
# after a reminder this many days before (0 days: drafts are kept).
GOVFLOW_DRAFT_RETENTION_DAYS = env.int("GOVFLOW_DRAFT_RETENTION_DAYS", default=90)
GOVFLOW_DRAFT_REMINDER_DAYS = env.int("GOVFLOW_DRAFT_REMINDER_DAYS", default=7)

# Background work (govflow/notifications): the transactional outbox, its retries and channels.
GOVFLOW_OUTBOX_MAX_ATTEMPTS = env.int("GOVFLOW_OUTBOX_MAX_ATTEMPTS", default=10)  # then a dead letter
GOVFLOW_OUTBOX_RETRY_BASE = env.float("GOVFLOW_OUTBOX_RETRY_BASE", default=30.0)  # seconds, doubled per failure
GOVFLOW_OUTBOX_RETRY_MAX = env.float("GOVFLOW_OUTBOX_RETRY_MAX", default=3600.0)
GOVFLOW_OUTBOX_SWEEP_AFTER = env.float("GOVFLOW_OUTBOX_SWEEP_AFTER", default=120.0)  # a lost message's grace
GOVFLOW_OUTBOX_LEASE = env.float("GOVFLOW_OUTBOX_LEASE", default=60.0)  # SQLite only: a delivery's claim
GOVFLOW_WEBHOOK_TIMEOUT = env.float("GOVFLOW_WEBHOOK_TIMEOUT", default=10.0)
# Department webhook URLs must be https:// (admin, manage.py department_webhook, delivery) unless
# DEBUG is on or this is set, e.g. for a department system on a trusted internal network.
GOVFLOW_ALLOW_HTTP_WEBHOOKS = env.bool("GOVFLOW_ALLOW_HTTP_WEBHOOKS", default=False)
GOVFLOW_SMS_BACKEND = env.str("GOVFLOW_SMS_BACKEND", default="govflow.notifications.channels.LogSmsBackend")
GOVFLOW_SMS_URL = env.str("GOVFLOW_SMS_URL", default="")
GOVFLOW_SMS_TOKEN = env.str("GOVFLOW_SMS_TOKEN", default="")
# The address people reach the site at (https://gov.example.org), for the links in notifications.
# Unset: each notification links to the address its request came to (govflow/notifications/sites.py).
GOVFLOW_SITE_URL = env.str("GOVFLOW_SITE_URL", default="")
GOVFLOW_AUTOMATIC_STEPS = env.bool("GOVFLOW_AUTOMATIC_STEPS", default=True)  # off: clerks decide every case
# The administrative division (GB/T 2260 code) where a catalog without divisions lands, where the
# offices of existing departments were opened when jurisdictions came, and where an applicant
# without a residence starts. The demo's is Xihu District, Hangzhou.
GOVFLOW_DEFAULT_DIVISION = env.str("GOVFLOW_DEFAULT_DIVISION", default="330106")

# Email: Django's backends, configured from the environment (console output in DEBUG by default).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend" if DEBUG
                        else "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-emails"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="govflow <noreply@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

REST_FRAMEWORK = {
    # Token first, so that an unauthenticated request gets 401 with WWW-Authenticate: Token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "govflow.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "govflow.api.pagination.Pagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["govflow.api.parsers.SafeJSONParser"],
    "EXCEPTION_HANDLER": "govflow.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The GovStack Registration Building Block API (docs/govstack.md) is served under this path
# (no leading slash, a trailing one); empty turns it off.
GOVFLOW_GOVSTACK_PREFIX = env.str("GOVFLOW_GOVSTACK_PREFIX", default="govstack/registration/").lstrip("/")
if GOVFLOW_GOVSTACK_PREFIX and not GOVFLOW_GOVSTACK_PREFIX.endswith("/"):
    GOVFLOW_GOVSTACK_PREFIX += "/"
# How long an Idempotency-Key of the GovStack API is remembered (hours): a repeat within it replays
# the first answer; after it the key is free again.
GOVFLOW_GOVSTACK_IDEMPOTENCY_HOURS = env.int("GOVFLOW_GOVSTACK_IDEMPOTENCY_HOURS", default=24)

# API tokens (django-rest-knox): only a SHA-512 digest is stored; a token expires GOVFLOW_TOKEN_TTL_HOURS
# after login and dies with a password change, deactivation or DELETE /api/v1/auth/token/.
GOVFLOW_TOKEN_TTL_HOURS = env.float("GOVFLOW_TOKEN_TTL_HOURS", default=10.0)
if not GOVFLOW_TOKEN_TTL_HOURS > 0:
    raise ImproperlyConfigured("GOVFLOW_TOKEN_TTL_HOURS must be a positive number of hours.")
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=GOVFLOW_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "govflow API",
    "DESCRIPTION": "REST API v1 for one-thing (一件事) integrated government services: citizens, clerks and "
                   "department systems.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Government intranets have no internet access: the UI's files come from drf-spectacular-sidecar.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "govflow.api.schema.document_nul_query_refusal"],
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "govflow.applications.models.ApplicationStatus",
        "CaseStatusEnum": "govflow.applications.models.CaseStatus",
        "OutcomeEnum": "govflow.applications.models.Outcome",
        "TaskStatusEnum": "govflow.api.serializers.tasks.TASK_STATUS_CHOICES",
        "DecisionEnum": "govflow.api.serializers.tasks.DECISION_CHOICES",
        "DeliveryRecordStateEnum": "govflow.applications.models.DeliveryState",  # its name before the clerks' API
        "DeliveryNextStateEnum": "govflow.api.serializers.tasks.ADVANCE_STATES",
    },
}

# govflow's own settings
GOVFLOW_NUMBER_PREFIX = env.str("GOVFLOW_NUMBER_PREFIX", default="GF")

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe the health check over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
