"""Settings, read from the environment (django-environ).

With nothing set this is the embedded mode of DESIGN.md §5: SQLite under ``var/``, Celery tasks run
eagerly in-process, e-mail to the console, media under ``var/``. ``DATABASE_URL`` and ``REDIS_URL``
switch to PostgreSQL and Redis. ``DJANGO_ENV=production`` refuses to start without ``SECRET_KEY`` and
``ALLOWED_HOSTS`` and turns on the secure defaults.
"""

import datetime as dt
import re
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'development', 'production' or 'test', not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"


def _required(name: str) -> str:
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(f"DJANGO_ENV=production needs the {name} environment variable to be set.")
    return value


if PRODUCTION:
    SECRET_KEY = _required("SECRET_KEY")
    _required("ALLOWED_HOSTS")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    DEBUG = env.bool("DEBUG", default=False)
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
    DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "development")

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "guardian",
    "import_export",
    "django_htmx",
    "journal",
    "accounts",
    "attendance",
    "grading",
    "messaging",
    "reports",
    "archive",
    "office",
    "axes",
    # django-csp: only for its system checks; the header comes from CSPMiddleware below.
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every page (CONTENT_SECURITY_POLICY below).
    "journal.security.PageCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.SchoolTimezoneMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    # Last, as django-axes asks: locks an account (and address) out after repeated failed logins (R17).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "journal.urls"
WSGI_APPLICATION = "journal.wsgi.application"

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
                "messaging.context_processors.unread",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise (postgres://… uses psycopg 3).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: our queries are short and indexed; JIT compilation cost 140 ms on the teacher's day of a
    # 20-school district for nothing (bench/RESULTS.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out login before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that also refuses a temporary login past its end (accounts.User.valid_until, R17).
    "accounts.backends.JournalModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-guardian: object permissions only, never global ones (DESIGN.md §4).
GUARDIAN_MONKEY_PATCH_USER = False
GUARDIAN_RAISE_404 = True
ANONYMOUS_USER_NAME = None

# Language and time: Russian by default; each school's own time zone is activated per request.
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# The electronic archive keeps every file in two storages "a" and "b" (R25; archive/storage.py): two
# directories by default, or any storage class (S3 via django-storages) given as JSON in ARCHIVE_STORAGES.
ARCHIVE_STORAGES = env.json(
    "ARCHIVE_STORAGES",
    default={
        key: {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": env.str(f"ARCHIVE_DIR_{key.upper()}", default=str(VAR_DIR / f"archive-{key}"))},
        }
        for key in ("a", "b")
    },
)

# The school's signing certificate (PKCS#12) for the archive's PAdES signatures (issue 6; archive/signing.py).
# `python manage.py make_demo_certificate` writes a self-signed one for the demo school at the default path.
ARCHIVE_SIGNING_P12 = Path(env.str("ARCHIVE_SIGNING_P12", default=str(VAR_DIR / "signing" / "school.p12")))
ARCHIVE_SIGNING_PASSWORD = env.str("ARCHIVE_SIGNING_PASSWORD", default="" if PRODUCTION else "demo12345")
# Rendered PDFs by the sha256 of their HTML: an unchanged document is not rendered again (a cache only).
ARCHIVE_RENDER_CACHE = Path(env.str("ARCHIVE_RENDER_CACHE", default=str(VAR_DIR / "archive-cache")))
# django-axes (R17, issue 7): five failed logins of one username lock it for 30 minutes; the
# administrator unlocks early with `python manage.py axes_reset_username <login>` or in the admin.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# By login, not by address: a whole school reaches us from one NAT address at 8 a.m., and locking that
# address after five typos of one child would lock out the school (hence axes.W006 is silenced).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False
# How long backups are kept (R26 gives no term; a year unless told otherwise).
ARCHIVE_BACKUP_RETENTION_DAYS = env.int("ARCHIVE_BACKUP_RETENTION_DAYS", default=365)

# Redis: Celery broker and cache. Without REDIS_URL tasks run eagerly and the cache is local.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {
    # Beat's sign of life for `manage.py health` (journal/health.py); expires rather than piling up unrun.
    "beat-heartbeat": {"task": "journal.beat_heartbeat", "schedule": 60, "options": {"expires": 50}},
    # Substitutes and teachers lose access once their assignment has ended (DESIGN.md §4, R12).
    "expire-assignments": {"task": "accounts.expire_assignments", "schedule": 60 * 60},
    # Parents who asked for it get the day's new marks and absences of their children by e-mail (issue 4).
    "daily-digest": {"task": "messaging.send_daily_digest", "schedule": crontab(hour=19, minute=0)},
    # The deputy finds last month's journal analysis of every school ready on the 1st (R20, R22).
    "monthly-analysis": {"task": "reports.monthly_all", "schedule": crontab(day_of_month=1, hour=5, minute=0)},
    # Both archive storages re-hashed every week; a damaged or lost copy is rewritten from the other (R25).
    "verify-archive": {"task": "archive.verify_storages", "schedule": crontab(day_of_week="sun", hour=3, minute=0)},
    # A backup of the database twice a month (R26: every 2 weeks), at night before the school day.
    "backup": {"task": "archive.backup", "schedule": crontab(day_of_month="1,15", hour=2, minute=30)},
    # Once a year, after the school year, the list of archive files whose retention term is over (R24).
    "retention-review": {
        "task": "archive.retention_review",
        "schedule": crontab(month_of_year=7, day_of_month=1, hour=4, minute=0),
    },
}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions are read from Redis and written through to the database: one query less on every page
    # at the 8 a.m. peak, and nobody is logged out when Redis restarts.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="journal@localhost")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Who hears about archive damage, failed backups and server errors: "Name <a@b>, c@d" (mail_admins).
ADMINS = [("", address) for address in env.list("ADMINS", default=[])]
# SMTP, when EMAIL_BACKEND is django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# The address people open the journal at: links in notification e-mails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4), enforced in every environment so that the browser tests see
# what production does: scripts and styles only from our own static files (no inline <script>, no
# on…= handlers, no style="…"), nothing framed, no plugins, forms post only to us. Uploaded files carry a
# stricter sandbox policy of their own (journal/downloads.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}


# Rate limits (django-ratelimit; accounts/ratelimits.py), counted in the default cache: Redis whenever
# REDIS_URL is set, so every web process shares the counters. "<count>/<period>", period s, m, h or d.
def _rate(name: str, default: str) -> str:
    value = env.str(name, default=default).strip()
    if not re.fullmatch(r"[1-9][0-9]*/[0-9]*[smhd]", value):
        raise ImproperlyConfigured(f"{name} must look like '30/m' (a count, a slash and s, m, h or d), not {value!r}.")
    return value


RATELIMIT_USE_CACHE = "default"
RATELIMIT_IP_META_KEY = "accounts.ratelimits.client_ip"
# Behind nginx every request comes from the proxy: the client's address is in the header the proxy sets
# (nginx: proxy_set_header X-Real-IP $remote_addr). Empty: the connection's own address (REMOTE_ADDR).
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="X-Real-IP" if PRODUCTION else "")
# Failed logins from one address (axes counts them per login as well). Only failures count: a school
# behind one NAT address logs in all at once at 8 a.m., and typos of 30 people a minute are not an attack.
LOGIN_RATE_LIMIT = _rate("LOGIN_RATE_LIMIT", "30/m")
# New one-time passwords (credential slips, single resets, temporary logins) issued by one user.
CREDENTIALS_RATE_LIMIT = _rate("CREDENTIALS_RATE_LIMIT", "60/h")
# Password change attempts of one user (each checks the old password: a stolen session must not guess it).
PASSWORD_CHANGE_RATE_LIMIT = _rate("PASSWORD_CHANGE_RATE_LIMIT", "10/h")

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Uploads (homework attachments, messages): size limit shared by every upload form.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
