"""cbmweb settings: every deploy-time value comes from the environment.

With nothing set, the site runs as the demo does: an embedded SpatiaLite file under
var/, Celery tasks run in-process, DEBUG on. Production sets DATABASE_URL (postgis://),
CELERY_BROKER_URL (redis:// or amqp://), SECRET_KEY and ALLOWED_HOSTS.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# Demo mode: the local, single-machine run of `make demo` and the test suite.
DEMO = env_bool("CBMWEB_DEMO", default=not os.environ.get("DATABASE_URL"))
DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEMO:
        raise ImproperlyConfigured("SECRET_KEY must be set outside the demo (CBMWEB_DEMO=1)")
    SECRET_KEY = "cbmweb-demo-only-not-secret"  # noqa: S105 - demo and tests only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Behind TLS the admin's cookies must never travel in clear.
SECURE_COOKIES = env_bool("SECURE_COOKIES", default=not (DEMO or DEBUG))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Behind TLS (deploy/nginx.conf): redirect plain HTTP and send HSTS. Off by default so the
# demo and a first plain-HTTP try work; a deployment sets them (README, deploy/).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Only behind a proxy that sets X-Forwarded-Proto itself (and drops the client's): then a
# request it received over TLS counts as secure here.
if env_bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",  # API tokens for scripts, made and revoked in the admin
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files for /api/docs/, served from here (no CDN)
    "demo",  # the demo generator, demo_setup, demo_smoke, the front page
    "parcels",
    "chips",
    "markers",  # events and traffic lights per parcel (issue 21)
    "inspection",  # the inspector's way in: search, dataset map, review list (issue 22)
    "leaflet",  # django-leaflet: only its bundled Leaflet files, served as our static files
    "background",  # background imagery from operator-configured sources (issue 20)
    "weather",  # daily ERA5 weather per grid cell (issue 20)
    "ops",  # last: its UserAdmin replaces the stock one
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (collectstatic into STATIC_ROOT) straight from the web processes.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A Content-Security-Policy with a per-request nonce on every HTML answer.
    "common.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Logs every /query/ and /dump/ request and applies the per-IP requests/minute quota;
    # after authentication (it reads the session user).
    "ops.middleware.RequestLogMiddleware",
    # Names the query parameters an endpoint ignored (CbM-Ignored-Parameters): never a 400.
    "common.ignored_params.IgnoredParametersMiddleware",
    # A DatabaseError out of a plain Django view (/dump/, /) answers 503, not 500.
    "common.fallbacks.DatabaseUnavailableMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cbmweb.urls"
WSGI_APPLICATION = "cbmweb.wsgi.application"

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

VAR_DIR = Path(env_str("CBMWEB_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# postgis://user@host:port/name in production and tests; an embedded SpatiaLite file otherwise.
DATABASE_URL = env_str("DATABASE_URL", f"spatialite:///{VAR_DIR / 'cbmweb.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    # SQLite loads mod_spatialite with RTLD_GLOBAL, which puts Debian's PROJ/GEOS/SQLite
    # symbols first in the process's global scope; the GDAL bundled in the rasterio and
    # pyogrio wheels, loaded after that, binds to them instead of its own copies and
    # corrupts the heap ("malloc(): corrupted top size"). Loading the wheels first keeps
    # each GDAL on its own libraries (cbmweb/tests/test_spatialite_gdal.py).
    import pyogrio  # noqa: F401
    import rasterio  # noqa: F401

    # SpatiaLite holds one writer at a time, and the in-process chip jobs write from their
    # own threads: wait for the lock rather than fail (timeout), take it at BEGIN so that a
    # reader never has to upgrade mid-transaction (the upgrade fails at once, "database is
    # locked", whatever the timeout), and let readers go on beside a writer (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=30, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL;"
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
SPATIALITE_LIBRARY_PATH = env_str("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/Brussels"
USE_TZ = True
USE_I18N = False

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"

LOGIN_URL = "/admin/login/"

# --- the service -------------------------------------------------------------------------

# Where the chip cache lives; every worker machine must see the same folder.
CHIP_STORE = Path(env_str("CHIP_STORE", str(VAR_DIR / "chips")))
# Background sources' tiles as fetched (GDAL's cache, per source) and the map tiles made of
# them (GET /background/tiles/...): shared by every user, refetched once deleted.
BACKGROUND_TILE_CACHE = Path(env_str("BACKGROUND_TILE_CACHE", str(VAR_DIR / "background-tiles")))
# Chips a request may cut (cached chips do not count), as the JRC service had it.
MAX_CHIPS_PER_REQUEST = env_int("MAX_CHIPS_PER_REQUEST", 24)
# Sentinel-1 products one rawS1ChipsBatch request may ask for (each gives a VV and a VH chip).
MAX_S1_PRODUCTS_PER_REQUEST = env_int("MAX_S1_PRODUCTS_PER_REQUEST", 36)
# The cache is flushed every night at this hour and minute, Europe/Brussels.
CHIP_CACHE_FLUSH_HOUR = env_int("CHIP_CACHE_FLUSH_HOUR", 0)
CHIP_CACHE_FLUSH_MINUTE = env_int("CHIP_CACHE_FLUSH_MINUTE", 0)
# Seconds a chip request waits for its workers before answering 202 with a job URL.
CHIP_REQUEST_WAIT_SECONDS = env_int("CHIP_REQUEST_WAIT_SECONDS", 60)
# A composite job that failed (disk full, unreadable files) is reported, and tried again
# only this many seconds after it ended (or at once with refresh=true).
COMPOSITE_RETRY_SECONDS = env_int("COMPOSITE_RETRY_SECONDS", 60)
# An in-process job whose owner's heartbeat (written every second) is older than this lost
# its process (chips.work.liveness); on the owner's own host a dead process is seen at once.
JOB_HEARTBEAT_STALE_SECONDS = env_int("JOB_HEARTBEAT_STALE_SECONDS", 10)
# SCL classes counted as clear by min_clear (vegetation, not vegetated, water, unclassified).
SCL_CLEAR_CLASSES = [int(c) for c in env_list("SCL_CLEAR_CLASSES", "4,5,6,7")]

# The demo archive and parcels built by `make demo`.
# Markers: the share (percent) of a parcel's SCL pixels that must be clear for an
# acquisition to count (markers/detect/s2.py), and parcels per extract_markers unit.
MARKERS_MIN_CLEAR = float(env_str("MARKERS_MIN_CLEAR", "90"))
MARKERS_BATCH = env_int("MARKERS_BATCH", 500)
DEMO_ARCHIVE = Path(env_str("DEMO_ARCHIVE", str(VAR_DIR / "demo-archive")))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "common.auth.BasicAuthentication",
        # `Authorization: Token <key>`: scripts need not hold a password.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "common.http_errors.api_exception_handler",
    # Bodies bounded in size and depth (400/413 JSON); format=<unknown> a 400 naming it.
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "common.negotiation.FormatNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per-user requests/minute quota, checked after authentication, before the handler.
    "DEFAULT_THROTTLE_CLASSES": ["ops.throttling.UserRequestRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cbmweb CbM API",
    "VERSION": "0.1.0",
    "DESCRIPTION": "Sentinel-2 chips and parcels with the API of the JRC CbM service. "
    "Every /query/ endpoint needs HTTP Basic credentials, an API token "
    "(`Authorization: Token <key>`, made in the admin) or a session; errors answer "
    '{"error": ..., "param": ...}.',
    # /api/docs/ renders the schema with Swagger UI from the sidecar package's static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # A job's status and a composite's state share their values: one enum.
    "ENUM_NAME_OVERRIDES": {"JobStatusEnum": "chips.models.JobStatus"},
    # /dump/ is plain Django (a hot path, kept out of DRF): its entry is added afterwards.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "chips.web.dump.add_to_schema",
    ],
}

# --- operations -----------------------------------------------------------------------------
# Proxies whose X-Forwarded-For is believed (CIDRs, comma separated); empty: REMOTE_ADDR only.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
# Request log rows older than this are pruned nightly (prune_request_log / ops.tasks).
REQUEST_LOG_RETENTION_DAYS = env_int("REQUEST_LOG_RETENTION_DAYS", 90)
# Log rows are written in batches by a thread of each process (ops.log_writer): at most this
# long after a request, or once this many rows wait. A process killed hard loses that much.
REQUEST_LOG_FLUSH_MS = env_int("REQUEST_LOG_FLUSH_MS", 250)
REQUEST_LOG_BATCH = env_int("REQUEST_LOG_BATCH", 200)
# Off: each request writes its own row before it answers (the tests: their data lives in a
# transaction the writer thread cannot see).
REQUEST_LOG_BACKGROUND = env_bool("REQUEST_LOG_BACKGROUND", default=True)
# Quotas; 0 switches one off. Per user overridable in the admin (User -> quota).
QUOTA_REQUESTS_PER_MINUTE = env_int("QUOTA_REQUESTS_PER_MINUTE", 120)  # per user
QUOTA_IP_REQUESTS_PER_MINUTE = env_int("QUOTA_IP_REQUESTS_PER_MINUTE", 240)  # per client IP
QUOTA_CHIPS_PER_DAY = env_int("QUOTA_CHIPS_PER_DAY", 2000)  # per user
QUOTA_IP_CHIPS_PER_DAY = env_int("QUOTA_IP_CHIPS_PER_DAY", 4000)  # per client IP
# Failed logins (HTTP Basic and the admin) per client address / per user name from one
# address, in windows of LOGIN_FAILURE_WINDOW_SECONDS; past them 429 before any hash runs.
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 20)
LOGIN_FAILURES_PER_USER = env_int("LOGIN_FAILURES_PER_USER", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 300)
# The daily usage page flags a user or IP above any of these (per day); 0 = no flag.
USAGE_FLAG_REQUESTS = env_int("USAGE_FLAG_REQUESTS", 5000)
USAGE_FLAG_CHIPS = env_int("USAGE_FLAG_CHIPS", 1000)
USAGE_FLAG_ERRORS = env_int("USAGE_FLAG_ERRORS", 200)
USAGE_FLAG_BYTES = env_int("USAGE_FLAG_BYTES", 2_000_000_000)

# Quota counters live in the cache "quotas": per-process memory is right for the demo (one
# process); several web processes must share it, so production points it at Redis.
REDIS_CACHE_URL = env_str("REDIS_CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "quotas": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_CACHE_URL}
        if REDIS_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "quotas"}
    ),
}

# --- Celery --------------------------------------------------------------------------------
# No broker: tasks run in-process (the demo path), with identical results.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
# Celery 5 has no amqp result backend: with RabbitMQ, results travel back over rpc://.
CELERY_RESULT_BACKEND = env_str(
    "CELERY_RESULT_BACKEND",
    "rpc://" if CELERY_BROKER_URL.startswith("amqp") else (CELERY_BROKER_URL or "cache+memory://"),
)
# Redis redelivers an unacknowledged task (its worker died) after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A worker killed mid-chip leaves its task unacknowledged, so another worker redoes it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# CELERY_TIMEZONE is Europe/Brussels, so the flush fires at local midnight across
# daylight-saving changes.
CELERY_BEAT_SCHEDULE = {
    "flush-chip-cache-nightly": {
        "task": "chips.flush_chip_cache",
        "schedule": crontab(hour=CHIP_CACHE_FLUSH_HOUR, minute=CHIP_CACHE_FLUSH_MINUTE),
    },
    "prune-request-log": {
        "task": "ops.tasks.prune_request_log",
        "schedule": crontab(hour=3, minute=30),
    },
}

# Debian 12's GDAL (3.6) cannot block network access from spatial references; SRSs here
# come from the operator's own files and the catalogue, never from request parameters.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
