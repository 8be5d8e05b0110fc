"""Settings for Hopsworks Managed: one module, read from the environment (and `.env`).

Every variable is listed in `.env.example` with a safe development default. Defaults here are
the production-safe ones: DEBUG off, secure cookies, HSTS.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "hopsmanaged",
    "accounts",
    "teams",
    "clusters",
    "billing",
    "usage",
    "adminpanel",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hopsmanaged.middleware.HealthCheckMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "teams.middleware.TeamDepartureNoticeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SuspendedAccountMiddleware",
]

ROOT_URLCONF = "hopsmanaged.urls"
WSGI_APPLICATION = "hopsmanaged.wsgi.application"

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

# Database and Redis: the project's own servers (scripts/services.sh) unless set otherwise.
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Parallel test runs (several checkouts, one server) each need their own test database.
if env("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}
REDIS_URL = env("REDIS_URL")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/dashboard/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# Uploads: a kubeconfig is small; anything larger than this is refused before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# Security: safe by default, relaxed only by the development .env.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Email: console in development, SMTP (or anything django-environ parses) in production.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Hopsworks Managed <no-reply@localhost>")

# Team invitations: link lifetime, pending invites per owner, emails sent per owner per hour.
TEAM_INVITE_EXPIRY_DAYS = env.int("TEAM_INVITE_EXPIRY_DAYS", default=7)
TEAM_INVITE_MAX_PENDING = env.int("TEAM_INVITE_MAX_PENDING", default=50)
TEAM_INVITE_SENDS_PER_HOUR = env.int("TEAM_INVITE_SENDS_PER_HOUR", default=60)

# Caches: Redis, shared by web processes (rate limits, short-lived state).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
}

# Auth0 (django-allauth's openid_connect provider, provider_id "auth0").
AUTH0_ISSUER_BASE_URL = env("AUTH0_ISSUER_BASE_URL").rstrip("/")
AUTH0_CLIENT_ID = env("AUTH0_CLIENT_ID")
AUTH0_CLIENT_SECRET = env("AUTH0_CLIENT_SECRET")
AUTH0_BASE_URL = env("AUTH0_BASE_URL").rstrip("/")
AUTH0_WEBHOOK_SECRET = env("AUTH0_WEBHOOK_SECRET")

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
SOCIALACCOUNT_ONLY = True
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = True
SOCIALACCOUNT_STORE_TOKENS = True  # the access token lets /api/auth/sync-user ask Auth0's userinfo
SOCIALACCOUNT_ADAPTER = "accounts.auth0_login.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "auth0",
                "name": "Auth0",
                "client_id": AUTH0_CLIENT_ID,
                "secret": AUTH0_CLIENT_SECRET,
                "settings": {
                    "server_url": AUTH0_ISSUER_BASE_URL,
                    "token_auth_method": "client_secret_post",
                },
            }
        ],
    }
}

# Stripe: the same client library against Stripe or the sandbox; only the base URL differs.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_SYNC_CONCURRENCY = env.int("STRIPE_SYNC_CONCURRENCY", default=8)
STRIPE_TIMEOUT = env.float("STRIPE_TIMEOUT", default=20.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
STRIPE_RATE_LIMIT_RETRIES = env.int("STRIPE_RATE_LIMIT_RETRIES", default=6)
STRIPE_RATE_LIMIT_BACKOFF = env.float("STRIPE_RATE_LIMIT_BACKOFF", default=0.5)

# Cluster secrets: comma-separated Fernet keys, newest first (MultiFernet).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
HOPSWORKS_OWNER_MAX_PROJECTS = env.int("HOPSWORKS_OWNER_MAX_PROJECTS", default=5)
HOPSWORKS_REQUEST_TIMEOUT = env.float("HOPSWORKS_REQUEST_TIMEOUT", default=10.0)
# Creating a user's Hopsworks account: Celery retries with exponential backoff (seconds).
HOPSWORKS_PROVISION_MAX_RETRIES = env.int("HOPSWORKS_PROVISION_MAX_RETRIES", default=8)
HOPSWORKS_PROVISION_RETRY_BACKOFF = env.int("HOPSWORKS_PROVISION_RETRY_BACKOFF", default=30)
HOPSWORKS_PROVISION_RETRY_BACKOFF_MAX = env.int("HOPSWORKS_PROVISION_RETRY_BACKOFF_MAX", default=1800)
# A seated user whose provisioning has not run (nor is a retry due) for this long had its Celery
# message lost: the sweeper (every PROVISIONING_SWEEP_SECONDS) sends it again.
PROVISIONING_STALE_MINUTES = env.int("PROVISIONING_STALE_MINUTES", default=10)
PROVISIONING_SWEEP_SECONDS = env.int("PROVISIONING_SWEEP_SECONDS", default=300)
# The demo cluster `make run` seeds (clusters/demo.py), pointing at the sandboxes.
DEMO_HOPSWORKS_API_KEY = env("DEMO_HOPSWORKS_API_KEY", default="sandbox-admin-key")
DEMO_HOPSWORKS_URL = env("DEMO_HOPSWORKS_URL", default="http://127.0.0.1:8103")
DEMO_KUBERNETES_TOKEN = env("DEMO_KUBERNETES_TOKEN", default="sandbox-token")
DEMO_KUBERNETES_URL = env("DEMO_KUBERNETES_URL", default="http://127.0.0.1:8104")
KUBERNETES_REQUEST_TIMEOUT = env.float("KUBERNETES_REQUEST_TIMEOUT", default=30.0)
# Pods per page of the collector's cluster-wide pod list (limit/continue).
KUBERNETES_LIST_PAGE_SIZE = env.int("KUBERNETES_LIST_PAGE_SIZE", default=500)

# Celery: Redis broker; the schedule lives here.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# A queue of its own lets parallel test runs share one Redis without taking each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
USAGE_COLLECTION_MINUTES = env.int("USAGE_COLLECTION_MINUTES", default=15)
# Tests only: fire the collection every N seconds instead of the quarter-hour crontab (0 = crontab).
USAGE_COLLECTION_SECONDS = env.int("USAGE_COLLECTION_SECONDS", default=0)
# A cluster's collection that failed (its API down, PostgreSQL unreachable) retries after this, then
# twice as long each time, at most USAGE_COLLECTION_MAX_RETRIES times: by default 1, 3 and 7 minutes
# into the slot, so an outage of up to about 7 minutes still counts the slot.
USAGE_COLLECTION_RETRY_SECONDS = env.int("USAGE_COLLECTION_RETRY_SECONDS", default=60)
USAGE_COLLECTION_MAX_RETRIES = env.int("USAGE_COLLECTION_MAX_RETRIES", default=3)
# A cluster's collection task not started within this many seconds of the fan-out is dropped (a
# message redelivered after a worker machine died): it would measure another slot's minutes.
USAGE_COLLECTION_DEADLINE_SECONDS = env.int("USAGE_COLLECTION_DEADLINE_SECONDS", default=USAGE_COLLECTION_MINUTES * 60)
HEARTBEAT_SECONDS = env.int("HEARTBEAT_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {
        "task": "hopsmanaged.tasks.heartbeat",
        "schedule": timedelta(seconds=HEARTBEAT_SECONDS),
    },
    "collect-usage": {
        "task": "usage.tasks.collect_usage_all",
        "schedule": timedelta(seconds=USAGE_COLLECTION_SECONDS) if USAGE_COLLECTION_SECONDS
        else crontab(minute=f"*/{USAGE_COLLECTION_MINUTES}"),
    },
    "sync-stripe-usage": {
        "task": "billing.tasks.sync_stripe_usage_daily",
        "schedule": crontab(hour=3, minute=0),
    },
    "requeue-stale-provisioning": {
        "task": "clusters.tasks.requeue_stale_provisioning",
        "schedule": timedelta(seconds=PROVISIONING_SWEEP_SECONDS),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
