"""DISPATCH settings: every configuration value is read here, from the environment.

``.env`` in the project root is loaded first (python-dotenv); real environment variables win.
Every variable is documented in ``.env.example``. With nothing configured the embedded default
runs: SQLite, a local Maildir, the built-in tracker and a file mail backend, all under ``data/``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from dispatch.env import env_bool, env_float, env_int, env_list, env_str
from dispatch.logging import build_logging

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env", override=False)

# --- Core -----------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment or .env "
            "(scripts/run creates a .env with a random key); refusing to start without it."
        )
    SECRET_KEY = "insecure-debug-only-key-never-used-with-DEBUG-off"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data")))
LOG_DIR = Path(env_str("LOG_DIR", str(BASE_DIR / "logs")))

INSTALLED_APPS = [
    "dispatch.admin_site.DispatchAdminConfig",  # django.contrib.admin with the DISPATCH site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_crontab",
    "axes",
    "dispatch.api",
    "dispatch",
    "users",
    "ts",
    "incidents",
    "emails",
    "emails.outbox",
    "yandex_tracker",
    "console",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dispatch.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dispatch.urls"
WSGI_APPLICATION = "dispatch.wsgi.application"
ASGI_APPLICATION = "dispatch.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# PostgreSQL when DB_HOST or any POSTGRES_* is set; otherwise the embedded SQLite file.
DB_HOST = env_str("DB_HOST")
POSTGRES_DB = env_str("POSTGRES_DB")
if DB_HOST or POSTGRES_DB or env_str("POSTGRES_USER"):
    DATABASES = {
        "default": {
            "ENGINE": "dispatch.postgresql",
            "HOST": DB_HOST or "localhost",
            "PORT": env_int("DB_PORT", 5432),
            "NAME": POSTGRES_DB or "dispatch",
            "USER": env_str("POSTGRES_USER", "dispatch"),
            "PASSWORD": env_str("POSTGRES_PASSWORD"),
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {"connect_timeout": env_int("DB_CONNECT_TIMEOUT", 10)},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(DATA_DIR / "dispatch.sqlite3")),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "users.backends.AxesLockoutBackend",  # refuses locked-out clients first
    "users.backends.EmailOrUsernameBackend",
]
LOGIN_URL = "users:login"
LOGIN_REDIRECT_URL = "users:home"
LOGOUT_REDIRECT_URL = "users:login"
# Validity of registration / e-mail change / password reset links; the e-mails state it.
ACCOUNT_LINK_TTL_HOURS = env_int("ACCOUNT_LINK_TTL_HOURS", 24)
PASSWORD_RESET_TIMEOUT = ACCOUNT_LINK_TTL_HOURS * 3600
# Per-client-IP limit on account form submissions (login, sign-up, reset, e-mail change).
ACCOUNT_RATE_LIMIT = env_str("ACCOUNT_RATE_LIMIT", "10/m")
# Brute-force protection (django-axes): lockout per client IP + login after N failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "dispatch.client_ip.client_ip"
AXES_USERNAME_CALLABLE = "users.backends.axes_username"
AXES_LOCKOUT_TEMPLATE = "users/lockout.html"
ADMIN_USERNAME = env_str("ADMIN_USERNAME", "admin")
ADMIN_EMAIL = env_str("ADMIN_EMAIL")
ADMIN_PASSWORD = env_str("ADMIN_PASSWORD")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)

# --- Security -------------------------------------------------------------------------------
# Number of trusted reverse proxies in front of the app (the nginx gateway = 1). Forwarded
# headers count only then: X-Forwarded-For in dispatch/client_ip.py (login lockout, rate
# limits), X-Forwarded-Proto here; gunicorn.conf.py never lets uvicorn read them itself.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
USE_HTTPS = env_bool("USE_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = USE_HTTPS
CSRF_COOKIE_SECURE = USE_HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if USE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = USE_HTTPS
SECURE_HSTS_PRELOAD = USE_HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, read by one fixed statement a request (dispatch/sessions.py).
SESSION_ENGINE = "dispatch.sessions"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")

# --- Outbound mail --------------------------------------------------------------------------
# "file" (embedded default, data/outbox/), "smtp" or "console".
EMAIL_DELIVERY = env_str("EMAIL_DELIVERY", "smtp" if env_str("EMAIL_HOST") else "file")
EMAIL_BACKEND = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}.get(EMAIL_DELIVERY, "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = str(DATA_DIR / "outbox")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 10)
OUTBOX_PER_RECIPIENT_PER_HOUR = env_int("OUTBOX_PER_RECIPIENT_PER_HOUR", 30)
# Addresses one message we send may have (To + Cc, our own mailbox not counted); the rest are
# left out and recorded on the outbox row.
MAIL_MAX_RECIPIENTS = max(1, env_int("MAIL_MAX_RECIPIENTS", 5))
# Mail on a closed incident: the first gets one automatic answer (at most one per incident per
# CLOSED_AUTO_REPLY_PERIOD_HOURS), the N-th reopens it (0: never). Incidents waiting for the
# requester («Ждем подтверждения», «Уведомили о закрытии») close after AUTO_CLOSE_HOURS without
# an answer (0: never).
MAX_EMAILS_ON_CLOSED_INCIDENTS = max(0, env_int("MAX_EMAILS_ON_CLOSED_INCIDENTS", 2))
CLOSED_AUTO_REPLY_PERIOD_HOURS = max(1, env_int("CLOSED_AUTO_REPLY_PERIOD_HOURS", 24))
AUTO_CLOSE_HOURS = max(0, env_int("AUTO_CLOSE_HOURS", 72))

# --- Inbound mail ---------------------------------------------------------------------------
# "maildir" (embedded default) or "imap".
MAIL_SOURCE = env_str("MAIL_SOURCE", "imap" if env_str("PARSING_EMAIL_SERVER") else "maildir")
MAILDIR_PATH = Path(env_str("MAILDIR_PATH", str(DATA_DIR / "maildir")))
PARSING_EMAIL_LOGIN = env_str("PARSING_EMAIL_LOGIN")
PARSING_EMAIL_PSWD = env_str("PARSING_EMAIL_PSWD")
PARSING_EMAIL_SERVER = env_str("PARSING_EMAIL_SERVER")
PARSING_EMAIL_PORT = env_int("PARSING_EMAIL_PORT", 993)
PARSING_EMAIL_SSL = env_bool("PARSING_EMAIL_SSL", True)
PARSING_EMAIL_INBOX_FOLDER_NAME = env_str("PARSING_EMAIL_INBOX_FOLDER_NAME", "INBOX")
PARSING_EMAIL_SENT_FOLDER_NAME = env_str("PARSING_EMAIL_SENT_FOLDER_NAME", "Sent")
PARSING_EMAIL_TIMEOUT = env_int("PARSING_EMAIL_TIMEOUT", 60)
PARSING_EMAIL_BATCH_SIZE = env_int("PARSING_EMAIL_BATCH_SIZE", 200)
# Parse a folder's next part in a forked process while the worker commits the previous one.
PARSING_EMAIL_PARSE_AHEAD = env_bool("PARSING_EMAIL_PARSE_AHEAD", True)
MAX_ATTACHMENT_SIZE = env_int("MAX_ATTACHMENT_SIZE", 48 * 1024 * 1024)
MAX_ATTACHMENT_DAYS = env_int("MAX_ATTACHMENT_DAYS", 360)
# The console's "all attachments as one zip" of an incident refuses more than this many bytes.
ATTACHMENTS_ZIP_MAX_BYTES = env_int("ATTACHMENTS_ZIP_MAX_BYTES", 512 * 1024 * 1024)
# A console e-mail forwards at most this many bytes of the thread's attachments.
MAIL_FORWARD_MAX_BYTES = env_int("MAIL_FORWARD_MAX_BYTES", 20 * 1024 * 1024)

# --- The dispatch mailbox -------------------------------------------------------------------
# The collecting mailbox: CC'd on every outgoing message and used as From. By default the
# mailbox the workers read (replies to our mail land there and thread); ``check --deploy``
# warns while it is a localhost address (emails.W001).
DISPATCH_MAILBOX = (
    env_str("DISPATCH_MAILBOX")
    or (PARSING_EMAIL_LOGIN if re.fullmatch(r"[^@\s]+@[^@\s]+", PARSING_EMAIL_LOGIN) else "")
    or "dispatch@localhost"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", DISPATCH_MAILBOX)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Domain used on the right of our own Message-IDs.
MESSAGE_ID_DOMAIN = env_str("MESSAGE_ID_DOMAIN", DISPATCH_MAILBOX.rpartition("@")[2] or "localhost")

# --- Incidents ------------------------------------------------------------------------------
# Regex for an incident code in a subject (the tracker key, e.g. AVRSERVICE-123).
INCIDENT_CODE_PREFIX = env_str("INCIDENT_CODE_PREFIX", env_str("YT_QUEUE", "DISPATCH"))
INCIDENT_CODE_PATTERN = env_str("INCIDENT_CODE_PATTERN", rf"\b{INCIDENT_CODE_PREFIX}-\d+\b")
ASSIGNMENT_WINDOW_HOURS = env_int("ASSIGNMENT_WINDOW_HOURS", 12)
SLA_WARNING_MINUTES = env_int("SLA_WARNING_MINUTES", 60)
# Working hours of the "business" SLA clock (Mon-Fri, TIME_ZONE, Russian holidays off).
SLA_BUSINESS_HOURS = env_str("SLA_BUSINESS_HOURS", "09:00-18:00")
# ДГУ/ЭКС works: the duration limit, and the "short work" threshold of their states.
WORK_DURATION_LIMIT_DAYS = env_int("WORK_DURATION_LIMIT_DAYS", 15)
WORK_SHORT_HOURS = env_int("WORK_SHORT_HOURS", 24)
# Minutes from an incident's arrival to the first action of a dispatcher on it.
DISPATCHER_SLA_MINUTES = env_int("DISPATCHER_SLA_MINUTES", 10)
# Statuses, types, subtypes, dispatchers, РВР priorities the queue and incident page offer: kept
# per process this long (a change in the same process drops them at once; console.reference_cache).
CONSOLE_CHOICES_CACHE_SECONDS = env_int("CONSOLE_CHOICES_CACHE_SECONDS", 5)
# Mass outages: open incidents on the same pole or base station are related; so are those on
# poles of the same address (or region, or neither: "off") that arrived within the window.
MASS_OUTAGE_AREA = env_str("MASS_OUTAGE_AREA", "address").lower()
if MASS_OUTAGE_AREA not in ("address", "region", "off"):
    raise ImproperlyConfigured(
        f"MASS_OUTAGE_AREA must be address, region or off, got {MASS_OUTAGE_AREA!r}"
    )
MASS_OUTAGE_WINDOW_MINUTES = env_int("MASS_OUTAGE_WINDOW_MINUTES", 120)

# --- Reports --------------------------------------------------------------------------------
# Map tiles (Leaflet URL template, e.g. https://tile.example.org/{z}/{x}/{y}.png). Empty: no
# tiles, the markers on a plain background (an isolated network needs nothing else).
MAP_TILE_URL = env_str("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "")
MAP_MAX_MARKERS = env_int("MAP_MAX_MARKERS", 5000)
# The monthly statistics (XLSX attached) go to these addresses; none: not sent.
REPORT_RECIPIENTS = env_list("REPORT_RECIPIENTS")
# Quarterly archives (statistics and every incident of the quarter, XLSX) are kept here.
REPORT_ARCHIVE_DIR = Path(env_str("REPORT_ARCHIVE_DIR", str(DATA_DIR / "reports")))

# --- TowerStore -----------------------------------------------------------------------------
TS_POLES_TL_URL = env_str("TS_POLES_TL_URL")
TS_AVR_REPORT_URL = env_str("TS_AVR_REPORT_URL")
TS_BS_REPORT_URL = env_str("TS_BS_REPORT_URL")
TS_AUTH_HEADER = env_str("TS_AUTH_HEADER")
TS_TIMEOUT = env_int("TS_TIMEOUT", 60)
TS_MAX_DELETE_SHARE = env_float("TS_MAX_DELETE_SHARE", 0.2)
DEFAULT_CONTRACTOR_EMAILS = env_list("DEFAULT_CONTRACTOR_EMAILS")
# The repair contractor (РВР): the addressees of the «РВР» mail templates.
RVR_CONTRACTOR_EMAILS = env_list("RVR_CONTRACTOR_EMAILS")

# --- Yandex Tracker -------------------------------------------------------------------------
YT_API_BASE_URL = env_str("YT_API_BASE_URL", "https://api.tracker.yandex.net")
YT_OAUTH_URL = env_str("YT_OAUTH_URL", "https://oauth.yandex.ru/token")
YT_CLIENT_ID = env_str("YT_CLIENT_ID")
YT_CLIENT_SECRET = env_str("YT_CLIENT_SECRET")
YT_ACCESS_TOKEN = env_str("YT_ACCESS_TOKEN")
YT_REFRESH_TOKEN = env_str("YT_REFRESH_TOKEN")
YT_ORGANIZATION_ID = env_str("YT_ORGANIZATION_ID")
YT_CLOUD_ORGANIZATION = env_bool("YT_CLOUD_ORGANIZATION", False)
YT_QUEUE = env_str("YT_QUEUE")
YT_TIMEOUT = env_int("YT_TIMEOUT", 30)
YT_DATABASE_ID_GLOBAL_FIELD_ID = env_str("YT_DATABASE_ID_GLOBAL_FIELD_ID", "localId")
YT_EMAILS_IDS_GLOBAL_FIELD_ID = env_str("YT_EMAILS_IDS_GLOBAL_FIELD_ID", "localEmailsIds")
YT_POLE_NUMBER_GLOBAL_FIELD_ID = env_str("YT_POLE_NUMBER_GLOBAL_FIELD_ID", "poleNumber")
YT_BASE_STATION_GLOBAL_FIELD_ID = env_str("YT_BASE_STATION_GLOBAL_FIELD_ID", "baseStation")
YT_EMAIL_DATETIME_GLOBAL_FIELD_ID = env_str("YT_EMAIL_DATETIME_GLOBAL_FIELD_ID", "emailDatetime")
YT_IS_NEW_MSG_GLOBAL_FIELD_ID = env_str("YT_IS_NEW_MSG_GLOBAL_FIELD_ID", "newMessage")
YT_SLA_DEADLINE_GLOBAL_FIELD_ID = env_str("YT_SLA_DEADLINE_GLOBAL_FIELD_ID", "deadlineSla")
YT_IS_SLA_EXPIRED_GLOBAL_FIELD_ID = env_str("YT_IS_SLA_EXPIRED_GLOBAL_FIELD_ID", "slaStatus")
YT_OPERATOR_NAME_GLOBAL_FIELD_NAME = env_str("YT_OPERATOR_NAME_GLOBAL_FIELD_NAME", "operator")
YT_AVR_NAME_GLOBAL_FIELD_ID = env_str("YT_AVR_NAME_GLOBAL_FIELD_ID", "avrContractor")
YT_TYPE_OF_INCIDENT_LOCAL_FIELD_ID = env_str("YT_TYPE_OF_INCIDENT_LOCAL_FIELD_ID", "typeOfProblem")
YT_ON_GENERATION_STATUS_KEY = env_str("YT_ON_GENERATION_STATUS_KEY", "naGeneraciiNb")
YT_NOTIFY_OPERATOR_ISSUE_IN_WORK_STATUS_KEY = env_str(
    "YT_NOTIFY_OPERATOR_ISSUE_IN_WORK_STATUS_KEY", "uvedomlaemOperatora"
)
YT_NOTIFIED_OPERATOR_ISSUE_IN_WORK_STATUS_KEY = env_str(
    "YT_NOTIFIED_OPERATOR_ISSUE_IN_WORK_STATUS_KEY", "uvedomiliOperatora"
)
YT_NOTIFY_OPERATOR_ISSUE_CLOSED_STATUS_KEY = env_str(
    "YT_NOTIFY_OPERATOR_ISSUE_CLOSED_STATUS_KEY", "uvedomitOZakrytii"
)
YT_NOTIFIED_OPERATOR_ISSUE_CLOSED_STATUS_KEY = env_str(
    "YT_NOTIFIED_OPERATOR_ISSUE_CLOSED_STATUS_KEY", "uvedomiliOZakrytii"
)
YT_NOTIFY_AVR_CONTRACTOR_IN_WORK_STATUS_KEY = env_str(
    "YT_NOTIFY_AVR_CONTRACTOR_IN_WORK_STATUS_KEY", "peredatPodradciku"
)
YT_NOTIFIED_AVR_CONTRACTOR_IN_WORK_STATUS_KEY = env_str(
    "YT_NOTIFIED_AVR_CONTRACTOR_IN_WORK_STATUS_KEY", "peredanoPodradciku"
)
# The Yandex Tracker integration is on only when a queue and a token are configured.
YT_ENABLED = bool(YT_QUEUE and (YT_ACCESS_TOKEN or YT_REFRESH_TOKEN))
# Outbox channel of the workflow's notifications: "smtp" or "tracker" (issue e-mail comments,
# as the original sent them); the tracker when the integration is on.
NOTIFICATION_CHANNEL = env_str("NOTIFICATION_CHANNEL", "tracker" if YT_ENABLED else "smtp")

# --- Alerts ---------------------------------------------------------------------------------
TG_TOKEN = env_str("TG_TOKEN")
TG_DEFAULT_USER_ID = env_str("TG_DEFAULT_USER_ID")
TG_API_URL = env_str("TG_API_URL", "https://api.telegram.org")
TG_ALERT_MIN_INTERVAL_SECONDS = env_int("TG_ALERT_MIN_INTERVAL_SECONDS", 600)

# --- Operations: health, web server, backups, scheduled jobs -------------------------------
HEALTH_MAX_AGE_SECONDS = env_int("HEALTH_MAX_AGE_SECONDS", 900)
GUNICORN_BIND = env_str("GUNICORN_BIND", "127.0.0.1:8000")
GUNICORN_WORKERS = env_int("GUNICORN_WORKERS", 2)
# Threads per web worker for ordinary (sync) requests; the live stream runs on the event loop.
# Each thread keeps its own database connection (DB_CONN_MAX_AGE). Pages are CPU-bound: on 2
# cores 2 threads a worker measured best (8 cost 2 ms more CPU a request in GIL hand-offs).
GUNICORN_THREADS = env_int("GUNICORN_THREADS", 2)
GUNICORN_TIMEOUT = env_int("GUNICORN_TIMEOUT", 60)
GUNICORN_GRACEFUL_TIMEOUT = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(DATA_DIR / "backups")))
BACKUP_KEEP_DAYS = env_int("BACKUP_KEEP_DAYS", 7)
PG_BIN_DIR = env_str("PG_BIN_DIR")  # pg_dump/pg_restore location; default: newest found
# django-crontab format; run by the `run_cron` worker (and `manage.py crontab add` where a
# system cron exists). Times are in TIME_ZONE.
CRONJOBS = [
    (
        env_str("CRON_TOWERSTORE_IMPORT", "0 20 * * *"),
        "django.core.management.call_command",
        ["import_towerstore"],
    ),
    (env_str("CRON_BACKUP", "0 1,10 * * *"), "django.core.management.call_command", ["backup_db"]),
    (
        env_str("CRON_CLEANUP_ATTACHMENTS", "0 2 * * *"),
        "django.core.management.call_command",
        ["cleanup_attachments"],
    ),
    (
        env_str("CRON_PURGE_RATE_COUNTERS", "*/15 * * * *"),
        "django.core.management.call_command",
        ["purge_rate_counters"],
    ),
    (
        env_str("CRON_MONTHLY_REPORT", "0 7 1 * *"),
        "django.core.management.call_command",
        ["send_monthly_report"],
    ),
    (
        env_str("CRON_QUARTERLY_ARCHIVE", "30 3 1 1,4,7,10 *"),
        "django.core.management.call_command",
        ["archive_quarter"],
    ),
]

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "dispatch.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["dispatch.api.permissions.HasApiRole"],
    "DEFAULT_SCHEMA_CLASS": "dispatch.api.schema.ApiAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "dispatch.api.pagination.ApiPagination",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 50),
    "EXCEPTION_HANDLER": "dispatch.api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "dispatch.api.throttling.ApiUserThrottle",
        "dispatch.api.throttling.ApiWriteThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_THROTTLE_USER", "1200/min"),
        "write": env_str("API_THROTTLE_WRITE", "120/min"),
    },
}
# Live incident queue (server-sent events): poll interval, keep-alive, and stream lifetime.
API_LIVE_POLL_SECONDS = env_float("API_LIVE_POLL_SECONDS", 1.0)
API_LIVE_KEEPALIVE_SECONDS = env_float("API_LIVE_KEEPALIVE_SECONDS", 15.0)
API_LIVE_MAX_SECONDS = env_float("API_LIVE_MAX_SECONDS", 300.0)
SPECTACULAR_SETTINGS = {
    "TITLE": "DISPATCH API",
    "DESCRIPTION": "Incidents, e-mails and reference data of the DISPATCH dispatch desk.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["dispatch.api.permissions.HasApiRole"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI and Redoc from our static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two choice sets share the field name "kind": give each enum its own component name.
    "ENUM_NAME_OVERRIDES": {
        "RecipientKindEnum": "emails.models.EmailRecipient.Kind",
        "IncidentLinkKindEnum": "incidents.models.LinkKind",
    },
}

# --- Logging --------------------------------------------------------------------------------
# One line per event on stdout (Supervisor writes each program's stdout to logs/<program>.log).
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "text")  # text or json
LOG_FILE = env_str("LOG_FILE")  # optional extra WatchedFileHandler target (rotate with logrotate)
LOG_STREAM = env_str("LOG_STREAM", "stdout")  # stderr for processes whose stdout is a protocol
LOGGING = build_logging(level=LOG_LEVEL, fmt=LOG_FORMAT, log_file=LOG_FILE, stream=LOG_STREAM)
