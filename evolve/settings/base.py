"""Settings shared by every environment. Everything that differs between machines comes from the environment.

Safe defaults: DEBUG is off unless asked for, and nothing here trusts a host, a proxy or an origin it was not told
about.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django_stubs_ext
import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

# Lets classes such as ModelAdmin take type parameters at run time, as django-stubs types them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    # The shared kernel.
    "evolve.accounts",
    "evolve.people",
    "evolve.access",
    "evolve.audit",
    "evolve.ui",
    "evolve.chronology",
    "evolve.clock",
    "evolve.notifications",
    "evolve.health",
    "evolve.backups",
    "evolve.cases",
    "evolve.demo",
    # The domain.
    "referrals",
    "risk",
    "meetings",
    "mapping",
    "reporting",
    "dataprotection",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "evolve.ui.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "evolve.accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "evolve.audit.context.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the outcome of authentication (django-axes' documented position).
    "axes.middleware.AxesMiddleware",
]
# The benchmarks (bench/) read how many SQL statements each request ran from a response header. Off unless asked for.
SQL_COUNT_HEADER = env.bool("SQL_COUNT_HEADER", default=False)
if SQL_COUNT_HEADER:
    MIDDLEWARE.insert(0, "evolve.ui.middleware.StatementCountMiddleware")

ROOT_URLCONF = "evolve.urls"
WSGI_APPLICATION = "evolve.wsgi.application"

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
                "evolve.ui.context_processors.service",
                "evolve.notifications.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/evolve")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Fuzzy name search uses pg_trgm's indexed operators (%, <%); this sets how loose a match they accept. JIT
# compilation is off: it pays off for long analytical queries, and cost a page query that reads one index 120 ms of
# compiling at scale (bench/RESULTS.md).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    "-c pg_trgm.similarity_threshold=0.3 -c pg_trgm.word_similarity_threshold=0.3 -c jit=off"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "evolve.accounts.backends.UserBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "ui:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions end after this much inactivity; pages warn two minutes before (WCAG 2.2.1) and let the user stay.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60)
SESSION_TIMEOUT_WARNING_SECONDS = env.int("SESSION_TIMEOUT_WARNING_SECONDS", default=2 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Lock an account (per user name and address) after repeated failures.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Behind a proxy, lock out by the client's address from X-Forwarded-For, not the proxy's own address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

OTP_TOTP_ISSUER = "Evolve"

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # no anonymous grants: every grant is to a signed-in person

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]

STATIC_URL = "/static/"
STATIC_ROOT: Path | None = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Security headers. The Content-Security-Policy allows no inline script and nothing from another origin.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The hotspot map draws on a plain background unless a tile server is configured (an {z}/{x}/{y} URL template such as
# https://tile.example.org/{z}/{x}/{y}.png); its origin is then the one image source the CSP allows besides our own.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")
if MAP_TILE_URL:
    _tiles = urlsplit(MAP_TILE_URL.replace("{s}", "a"))
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_tiles.netloc}")
# A child who goes missing this many times within this many days is flagged (mapping.selectors.missing_flag_rule).
MISSING_FLAG_EPISODES = env.int("MISSING_FLAG_EPISODES", default=3)
MISSING_FLAG_DAYS = env.int("MISSING_FLAG_DAYS", default=90)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="evolve@localhost")
# Attachments (evolve.uploads): checked by content, kept out of the web root, served only through permission-checked
# views.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private-media")))
# Where attachments, minutes, reports and exports are kept. "file": the folder above, for one machine or a shared
# volume. "s3": a private bucket through django-storages, so that any number of web and worker machines share one
# store (credentials from the usual AWS environment or the machine's role; any S3-compatible store by endpoint URL).
PRIVATE_STORAGE = env.str("PRIVATE_STORAGE", default="file")
# Where `make backup` (manage.py backup) keeps its folders: database dump, stored files and manifest.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(BASE_DIR / "var" / "backups")))
if PRIVATE_STORAGE == "s3":
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("PRIVATE_STORAGE_BUCKET"),
            "endpoint_url": env.str("PRIVATE_STORAGE_ENDPOINT_URL", default=None),
            "region_name": env.str("PRIVATE_STORAGE_REGION", default=None),
            "default_acl": "private",
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": "AES256"},
        },
    }
elif PRIVATE_STORAGE == "file":
    STORAGES["private"] = {"BACKEND": "evolve.uploads.storage.PrivateStorage"}
else:
    raise ImproperlyConfigured(f"PRIVATE_STORAGE must be file or s3, not {PRIVATE_STORAGE!r}")
# The address emails link back to.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["evolve.access.api.IsVerifiedUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "evolve.ui.api.Pages",
    # The client's address for the anonymous rate limit, counting the proxies in front as django-axes does.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "evolve.access.api.exception_handler",
    # Rate limits on the API, counted in the cache (Redis): per signed-in user, and per address before sign-in.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_RATE_USER", default="600/minute"),
        "anon": env.str("API_RATE_ANON", default="30/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Evolve API",
    "DESCRIPTION": "Case management for multi-agency child exploitation teams.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["evolve.access.api.IsVerifiedUser"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RagEnum": "referrals.models.Referral.Rag",
        "ReferralStateEnum": "referrals.states.State",
    },
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task taken by a worker that then died (killed, the machine lost) goes back on the queue once it has been
# unacknowledged this long: longer than any task runs or waits to retry (report retries wait at most an hour).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=7200)}
# Beat's crontab times are London times ("early on the 1st" means the 1st here, in summer time too).
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Minutes whose build was never asked for (broker down at closing) or ran out of retries.
    "meetings-minutes-sweep": {"task": "meetings.minutes_sweep_task", "schedule": 300.0},
    # Stamp missed deadlines so reports count breaches from an index (queues work them out as they render).
    "clock-breaches-mark": {"task": "evolve.clock.deadline_breaches_mark_task", "schedule": 300.0},
    # Emails left in the notification outbox while the broker was down.
    "notification-email-sweep": {"task": "evolve.notifications.notification_email_sweep_task", "schedule": 60.0},
    # Early on the 1st: last month's report for every team.
    "reports-monthly": {
        "task": "reporting.reports_monthly_task",
        "schedule": crontab(minute=30, hour=2, day_of_month=1),
    },
    # Records whose retention period has run out go on the data protection officer's review list (nothing is deleted
    # without a recorded decision).
    "retention-review": {
        "task": "dataprotection.retention_review_task",
        "schedule": crontab(minute=15, hour=3),
    },
    # Subject access exports whose task was lost (the broker was down) or failed: made again.
    "subject-access-exports-sweep": {"task": "dataprotection.subject_access_exports_sweep_task", "schedule": 600.0},
    # Reports never built (the broker was down, every retry failed) or missed because the 1st's run was.
    "reports-sweep": {"task": "reporting.reports_sweep_task", "schedule": 3600.0},
    # Early on the 1st: this month's quality assurance sample for every team (seed 003).
    "quality-sample-monthly": {
        "task": "evolve.cases.quality_sample_monthly_task",
        "schedule": crontab(minute=45, hour=2, day_of_month=1),
    },
}
# How old a notification still waiting to be emailed must be before the outbox sweep sends it (younger ones are left
# to the task their own commit queued).
NOTIFICATION_OUTBOX_GRACE_SECONDS = env.int("NOTIFICATION_OUTBOX_GRACE_SECONDS", default=60)
# Issue 8. Break-glass: how long an emergency opening of a restricted record lasts.
BREAK_GLASS_MINUTES = env.int("BREAK_GLASS_MINUTES", default=60)
# Password reset requests allowed per address and per account in an hour (beside django-axes on sign-in).
PASSWORD_RESET_LIMIT_PER_HOUR = env.int("PASSWORD_RESET_LIMIT_PER_HOUR", default=5)
# The first retry of a failed report build waits this long; each later one twice as long (at most an hour).
REPORT_RETRY_SECONDS = env.int("REPORT_RETRY_SECONDS", default=60)
# Seed 003: "every month a cohort of approximately 40 young people are selected for audit and QA checks". The
# monthly quality assurance sample draws this many of each team's open cases (all of them if fewer are open).
QA_SAMPLE_SIZE = env.int("QA_SAMPLE_SIZE", default=40)

# Statutory and local timescales, merged over evolve.clock.config.DEFAULTS; give only what this area changes.
# "review" (e.g. the Head of Service's review of consent dispensed with) has no national default.
EVOLVE_TIMESCALES: dict[str, object] = {"review": ("working_days", 5)}

# Logs hold ids, never a child's name or details.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Demo logins (seed_demo) exist only where this is switched on.
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=False)
