"""Settings, driven by the environment.

Embedded default (``make run``): SQLite in WAL mode with immediate transactions
and the in-memory channel layer. Production: ``DATABASE_URL`` (PostgreSQL, via
psycopg 3 and its connection pool) and ``REDIS_URL`` (channel layer), several
daphne processes behind a reverse proxy. See README.md.
"""

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("DEBUG", default="SECRET_KEY" not in os.environ)
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
# The address residents' phones reach, for the QR code on tickets, when kiosks
# talk to the server by an internal host name (e.g. https://madoguchi.city.example.jp).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",  # sign-in lock-out per account and per address
    "auditlog",  # configuration history (queueing/history.py)
    "django_apscheduler",  # the scheduled jobs' store and run records (jobs/runner.py)
    # Dependency direction (docs/architecture.md): screens -> appointments -> queueing.
    "queueing",
    "appointments",
    "api",
    "live",
    "staff",
    "displays",
    "kiosk",
    "congestion",
    "jobs",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Every error as JSON {code, detail} under /api/, a plain page elsewhere; first so that
    # it also sees what the middleware below refuses (config/errors.py).
    "config.errors.ErrorPagesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "auditlog.middleware.AuditlogMiddleware",  # the signed-in user as the change's actor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # after everything that may sign in
    # Last on purpose: WhiteNoise is sync-only, and under ASGI Django runs every
    # middleware above a sync-only one in sync mode too. At the top it left the
    # rest in async mode, each hop a thread switch: measured with bench/issue.py,
    # the health check went from ~290 to ~480 requests/s in one daphne process.
    "whitenoise.middleware.WhiteNoiseMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# Under ASGI every sync view runs in a worker thread; Django's persistent
# connections (CONN_MAX_AGE > 0) are per thread and were measured here to
# exhaust PostgreSQL's connections at 16 concurrent clients. The psycopg pool
# hands one connection per request and takes it back, so CONN_MAX_AGE stays 0.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DB_POOL_MIN", "2")),
            "max_size": int(os.environ.get("DB_POOL_MAX", "20")),
            # Seconds a request waits for a connection; past it (the database is unreachable)
            # the request is answered 503 (config/errors.py).
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
            # A failed reconnection is retried with a doubling delay, and while it waits the
            # pool grows no further: after a 20 s outage the next try came up to 16 s after
            # the database was back. Giving up after 5 s lets the next request try at once.
            "reconnect_timeout": 5.0,
        }
        # The pool checks a connection (one empty query) before a request gets it: after
        # the database restarted, the pool's old connections were all broken, and without
        # the check each answered one more request 503 once the database was back.
        _db["CONN_HEALTH_CHECKS"] = True
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        "OPTIONS": {
            # WAL lets readers run beside the writer; IMMEDIATE takes the write
            # lock at BEGIN so two kiosks never both read then fight to write.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer --------------------------------------------------------
# RedisPubSubChannelLayer, not core.RedisChannelLayer: measured here, the core
# layer dropped consumers (redis TimeoutError) at 200 WebSocket clients in one
# process while the pub/sub layer delivered to 500 clients over two processes
# with nothing missed. See bench/fanout.py for the figures we keep.
REDIS_URL = os.environ.get("REDIS_URL", "")


def channel_layers_for(redis_url: str) -> dict:
    """CHANNEL_LAYERS for a Redis URL (the in-memory layer when it is empty).

    Redis pub/sub channels belong to the whole server: the database number in
    the URL does not separate them, so two deployments (or test runs) on one
    Redis with different numbers saw each other's events (office 1 of staging
    on office 1's screens in production). The number goes into the layer's
    prefix instead.
    """
    if not redis_url:
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    database = urlsplit(redis_url).path.strip("/") or "0"
    return {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": f"asgi.db{database}"},
        }
    }


CHANNEL_LAYERS = channel_layers_for(REDIS_URL)

# --- Counter presence (queueing/presence.py, live/sweeps.py) ---------------
# A counter is open only while someone is signed in at it with a live console.
COUNTER_PRESENCE_TIMEOUT_SECONDS = int(os.environ.get("COUNTER_PRESENCE_TIMEOUT_SECONDS", "300"))
COUNTER_PRESENCE_CLOSE_GRACE_SECONDS = int(
    os.environ.get("COUNTER_PRESENCE_CLOSE_GRACE_SECONDS", "30"))
COUNTER_PRESENCE_SWEEP_SECONDS = float(os.environ.get("COUNTER_PRESENCE_SWEEP_SECONDS", "10"))
# The console's heartbeat: well inside the timeout, and at most once a minute in a
# background tab (browsers throttle its timers), so 30 s.
COUNTER_HEARTBEAT_SECONDS = int(os.environ.get("COUNTER_HEARTBEAT_SECONDS", "30"))

# --- Tickets from a phone (kiosk/phone.py, queueing/presence_code.py) ------
# The lobby display's presence code changes every PHONE_CODE_MINUTES; the code of the
# window before is still accepted, so a code read just before it changes works.
PHONE_CODE_MINUTES = int(os.environ.get("PHONE_CODE_MINUTES", "5"))
# Tries (a code or a ticket) per client address. Residents on the lobby's Wi-Fi or one
# carrier's NAT share an address, so the default is generous: it stops a script trying
# every code, not a busy lobby.
PHONE_TICKET_RATE = os.environ.get("PHONE_TICKET_RATE", "30/hour")

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
LOGIN_URL = "/staff/login/"
LOGIN_REDIRECT_URL = "/staff/"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account or address
    "django.contrib.auth.backends.ModelBackend",
]
# Staff sessions end after this many idle minutes: each request moves the end on. Kiosks
# and displays never hold one (device keys; kiosk maintenance signs in per action).
STAFF_IDLE_MINUTES = int(os.environ.get("STAFF_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = STAFF_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes: after SIGN_IN_FAILURE_LIMIT wrong passwords for one account, or from one
# address, that account or address is refused for SIGN_IN_LOCKOUT_MINUTES (429, a plain
# page). Every sign-in, sign-out, failure and lock-out is a row of the security audit
# (queueing/signins.py), so axes' own access log is off.
AXES_FAILURE_LIMIT = int(os.environ.get("SIGN_IN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = int(os.environ.get("SIGN_IN_LOCKOUT_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_RESET_ON_SUCCESS = True
AXES_USE_ATTEMPT_EXPIRATION = True  # attempts older than the cool-off are removed
AXES_DISABLE_ACCESS_LOG = True
AXES_USERNAME_CALLABLE = "queueing.signins.typed_username"
AXES_CLIENT_IP_CALLABLE = "queueing.signins.client_address"
AXES_SENSITIVE_PARAMETERS = ["username", "password", "csrfmiddlewaretoken"]
AXES_LOCKOUT_TEMPLATE = "locked_out.html"
AXES_VERBOSE = False

# --- Time and language ----------------------------------------------------
TIME_ZONE = "Asia/Tokyo"  # business days and reports are bucketed here
USE_TZ = True  # stored in UTC
USE_I18N = True
LANGUAGE_CODE = "ja"
LANGUAGES = [
    ("ja", "日本語"),
    ("ja-easy", "やさしい日本語"),
    ("en", "English"),
    ("zh-hans", "简体中文"),
    ("ko", "한국어"),
    ("vi", "Tiếng Việt"),
    ("pt-br", "Português"),
    ("es", "Español"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
# Only needed for `collectstatic` in a deployment that serves files from a proxy.
STATIC_ROOT = os.environ.get("STATIC_ROOT") or None
# Static files are served by WhiteNoise straight from the apps' static/ folders,
# so a fresh checkout needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
STATICFILES_DIRS = [BASE_DIR / "static"]  # what no app owns: the plain error pages' style

# --- Retention (queueing/retention.py) -----------------------------------
# Bookings: each schedule's retention_days (default 90). Free text staff write on tickets
# (transfer and hold reasons, hand-off notes):
HANDOFF_NOTE_RETENTION_DAYS = int(os.environ.get("HANDOFF_NOTE_RETENTION_DAYS", "30"))
# What was typed at failed sign-ins (the audit and django-axes' attempts):
SIGN_IN_RETENTION_DAYS = int(os.environ.get("SIGN_IN_RETENTION_DAYS", "90"))
# The short comments residents leave with their satisfaction rating (status page):
RATING_COMMENT_RETENTION_DAYS = int(os.environ.get("RATING_COMMENT_RETENTION_DAYS", "90"))

# --- Input bounds ---------------------------------------------------------
# No form or API body of this product is near this; a larger one is refused (413/400).
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
JSON_MAX_DEPTH = 32  # api/parsers.py

# --- API ------------------------------------------------------------------
REST_FRAMEWORK = {
    # JSON (bounded in size and depth) and plain forms only: no endpoint takes files.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.BoundedJSONParser",
                               "rest_framework.parsers.FormParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_THROTTLE_RATES": {
        "kiosk": os.environ.get("KIOSK_RATE", "120/min"),
        "booking": os.environ.get("BOOKING_RATE", "30/hour"),  # per client address
    },
    # The client address is REMOTE_ADDR: the ASGI server's --proxy-headers sets it from the
    # X-Forwarded-For that nginx overwrites (docs/deploy.md); a header sent by the
    # client itself must not choose whose limit it counts against.
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Madoguchi counter queue API",
    "DESCRIPTION": "Tickets, counters and bookings for a city hall's front desks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Counters and lobbies often have no internet: the docs' assets come from this server.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # OpenAPI links from the answers that create tickets and bookings to what uses them.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "api.schema.add_links"],
}

# Open data (congestion/api.py): the licence it is published under.
OPEN_DATA_LICENCE = os.environ.get("OPEN_DATA_LICENCE", "CC BY 4.0")
OPEN_DATA_LICENCE_URL = os.environ.get("OPEN_DATA_LICENCE_URL",
                                       "https://creativecommons.org/licenses/by/4.0/")

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    # The keys name the database they were computed from: two databases sharing one Redis
    # (a staging copy, a restored backup, the tests' fresh databases) never see each
    # other's forecasts or counters.
    _db = DATABASES["default"]
    CACHES = {"default": {
        "BACKEND": "config.cache.TolerantRedisCache", "LOCATION": REDIS_URL,
        "KEY_PREFIX": hashlib.sha1(
            f"{_db.get('HOST')}:{_db.get('PORT')}:{_db['NAME']}".encode()).hexdigest()[:12],
    }}
# The kiosk's rate limit counts in each process's memory (api/devices.py): it guards
# against a stuck button, not an attacker, and it is asked on every ticket.
CACHES["per-process"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                         "LOCATION": "per-process"}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "madoguchi@city.example.jp")
# The SMTP backend's server (django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_TIMEOUT = 10  # seconds: a mail server that hangs does not hold a job's run for long

# --- Security (production: DEBUG off) -------------------------------------
# Content-Security-Policy on every response (django-csp): scripts and styles come only
# from this server's static files; no inline script, style element or style attribute.
# Config reaches the pages' scripts through json_script (not executed, so allowed).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
# The public congestion page may be framed by the city's own website: the origins allowed
# (space-separated, e.g. "https://www.city.example.jp"); unset, any page may embed it.
CONGESTION_FRAME_ANCESTORS = os.environ.get("CONGESTION_FRAME_ANCESTORS", "").split() or None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Nothing like an Individual Number reaches a log line (queueing/privacy.py).
    "filters": {"redact": {"()": "queueing.privacy.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
