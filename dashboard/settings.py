"""Settings for the Perform & Engage 365 plans dashboard.

Everything an operator sets comes from environment variables (see .env.example and
the README). A bad value stops start-up with a message naming the variable, rather
than surfacing later as a confusing error on some page.
"""

import os
from datetime import timedelta
from pathlib import Path
from wsgiref.headers import Headers

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (or true/false), not {raw!r}.")


def env_number(name: str, default: float, *, minimum: float, maximum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}.") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum:g} and {maximum:g}.")
    return value


def env_int(name: str, default: int, *, minimum: int, maximum: int) -> int:
    value = env_number(name, default, minimum=minimum, maximum=maximum)
    if value != int(value):
        raise ImproperlyConfigured(f"{name} must be a whole number.")
    return int(value)


# --- Django core -------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    # Development only: a fixed key keeps sessions alive across `make run` restarts.
    SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = [h.strip() for h in env_str("DJANGO_ALLOWED_HOSTS").split(",") if h.strip()]
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    # Wraps the template loaders so "page.html#fragment" renders one {% partialdef %}.
    "template_partials",
    "django_filters",
    "django_htmx",
    "axes",
    "plans",
    "sso",
    "audit",
    "post_office",
    "reminders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that costs time or touches the database: a request that waited a
    # whole budget for a thread is refused at once, a query string that is not text is a 400.
    "plans.middleware.QueueDeadlineMiddleware",
    "plans.middleware.SafeQueryStringMiddleware",
    "csp.middleware.CSPMiddleware",
    # After WhiteNoise: static files stay cacheable, everything else is private.
    "plans.middleware.PrivateResponsesMiddleware",
    # Outside every view and error page that uses the request's API client.
    "plans.middleware.ReleaseClientMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the login check: an idle session is logged out first.
    "plans.middleware.SessionIdleTimeoutMiddleware",
    # Django's, minus the session read for pages open to everyone (health checks, log-in).
    "plans.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Sets request.htmx: views answer htmx requests with the part of the page they swap.
    "django_htmx.middleware.HtmxMiddleware",
    # Upstream failures, refused audit entries and database errors in views become pages.
    "plans.middleware.ErrorPagesMiddleware",
    # Last, as axes asks: turns a locked-out login attempt into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

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
                "plans.context_processors.dashboard",
                "sso.context_processors.sign_in",
            ],
            # {% partialdef %} without a {% load %}, as Django 6.0 has it built in.
            "builtins": [
                "template_partials.templatetags.partials",
                "django.templatetags.static",
                "django.contrib.humanize.templatetags.humanize",
            ],
        },
    },
]

# Every django-tables2 table: its Bootstrap 5 template, made accessible.
DJANGO_TABLES2_TEMPLATE = "tables/table.html"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A stopped or unreachable server fails a page in seconds (a 503 naming the database),
    # not after the operating system's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# axes first: it refuses a locked-out attempt before any password is checked. Then
# passwords (Django's ModelBackend) and single sign-on (sso/backends.py, which checks
# permissions by the same rules). With DJANGO_PASSWORD_LOGIN=0 passwords are never
# checked, and password sessions end, as their backend is gone.
PASSWORD_LOGIN = env_bool("DJANGO_PASSWORD_LOGIN", True)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    *(["django.contrib.auth.backends.ModelBackend"] if PASSWORD_LOGIN else []),
    "sso.backends.OIDCBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TZ", "UTC") or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
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

# --- Cache (shared, short-lived copies of upstream responses) ----------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache behind a circuit breaker: a failing Redis costs one
            # socket timeout, reads as a miss, then is skipped for a while.
            "BACKEND": "dashboard.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pe365",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    # Bounded in entries here and in entry size by plans.api.caching.shared_set.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 300},
        }
    }

# --- Security ------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
# A session unused this long is logged out (plans.middleware.SessionIdleTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = 60 * env_int("DJANGO_SESSION_IDLE_MINUTES", 480, minimum=1, maximum=20160)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Everything the pages load comes from our own static files: no inline script, no inline
# style attribute, no third-party origin (htmx runs with eval and its inline styles off).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Static files: WhiteNoise answers them before any middleware runs, so it adds the same
# protections itself; nothing outside the site uses them.
STATIC_FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": SECURE_REFERRER_POLICY,
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": SECURE_CROSS_ORIGIN_OPENER_POLICY,
    # An SVG opened on its own is a document: it may load and run nothing.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; frame-ancestors 'none'",
}
WHITENOISE_ALLOW_ALL_ORIGINS = False


def add_static_file_headers(headers: Headers, path: str, url: str) -> None:
    for name, value in STATIC_FILE_HEADERS.items():
        headers[name] = value


WHITENOISE_ADD_HEADERS_FUNCTION = add_static_file_headers

# Error reports (the DEBUG page, mails to ADMINS) hide the API key even with DEBUG on;
# log records of database errors leave out the message (LOGGING below).
DEFAULT_EXCEPTION_REPORTER_FILTER = "plans.error_reports.AlwaysSafeExceptionReporterFilter"

# --- Login throttling (django-axes; limits and behaviour in plans/login.py) ---------------

AXES_HANDLER = "plans.login.LoginAttemptHandler"
# Failures count per (username, address), and per username from all addresses.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
# Failures that lock one (username, address) pair.
AXES_FAILURE_LIMIT = 5
# Failures of one username from all addresses together that lock it for the addresses it
# has never signed in from; the ones it has keep working.
LOGIN_USERNAME_FAILURE_LIMIT = 20
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_USERNAME_CALLABLE = "plans.login.throttle_username"
AXES_CLIENT_IP_CALLABLE = "plans.login.client_address"
AXES_LOCKOUT_CALLABLE = "plans.login.lockout_response"
# Only password log-ins count or are refused: password failures never stop single sign-on.
AXES_WHITELIST_CALLABLE = "plans.login.is_not_a_password_login"
# axes' log lines name the address, not the username (often an e-mail address).
AXES_CLIENT_STR_CALLABLE = "plans.login.describe_client"
AXES_RESET_ON_SUCCESS = True
# Attempts during a lock are refused unchecked and do not make it last longer.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Successful sign-ins are kept (axes' access log): the addresses a username is known at.
# prune_audit removes them after AUDIT_RETENTION_DAYS, with the audit log.
AXES_DISABLE_ACCESS_LOG = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# Proxies in front that append the client's address to X-Forwarded-For (0: the header
# is ignored and REMOTE_ADDR is the client). See plans.login.client_address.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)

if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    # Only behind a TLS proxy that sets this header itself and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Health checks answer plain HTTP too: load balancers usually probe the instance
# directly, and a redirect would read as "unhealthy". They carry no data.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    if not SECURE_SSL_REDIRECT:
        # Switched off on purpose: the TLS proxy in front redirects plain HTTP itself.
        SILENCED_SYSTEM_CHECKS = ["security.W008"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
else:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)

# --- Perform & Engage 365 API --------------------------------------------------------

PE365_API_URL = env_str("PE365_API_URL").rstrip("/")
PE365_API_USERNAME = env_str("PE365_API_USERNAME")
PE365_API_KEY = env_str("PE365_API_KEY")
# Budget in seconds for all the upstream calls of one dashboard request: connecting,
# sending, waiting for the headers, reading and decoding answers, and retries included.
PE365_TIMEOUT = env_number("PE365_TIMEOUT", 10, minimum=0.1, maximum=120)
# Upstream calls one dashboard request may make: enough to read 50,000 plans 100 at a
# time with room for retries; beyond that the page asks to narrow the list.
PE365_MAX_CALLS = env_int("PE365_MAX_CALLS", 1000, minimum=1, maximum=100_000)
# The largest upstream answer read, in MB once decompressed; a bigger one is refused, as
# is one holding more than one JSON value per 32 bytes of it (memory follows the size).
PE365_MAX_RESPONSE_MB = env_int("PE365_MAX_RESPONSE_MB", 32, minimum=1, maximum=1024)
PE365_CACHE_TTL = env_int("PE365_CACHE_TTL", 30, minimum=0, maximum=86400)
# Seconds each part of a /readyz check (database, cache, API) may take.
PE365_READINESS_TIMEOUT = env_number("PE365_READINESS_TIMEOUT", 3, minimum=0.1, maximum=30)
# Upstream calls one dashboard request may have in flight at once (whole-set reads,
# side panels, participation scans).
PE365_CONCURRENCY = env_int("PE365_CONCURRENCY", 8, minimum=1, maximum=32)
# The most items one page reads of a list: filtering by status or frequency, sorting and
# exporting read every plan matching the name and template filters, and hold them in
# memory. Past it the page asks the HR admin to narrow the list.
PE365_MAX_ROWS = env_int("PE365_MAX_ROWS", 50_000, minimum=100, maximum=1_000_000)
# Completion by department and by manager folds groups of fewer people than this into
# "Other" (1: every group shown).
PE365_MIN_GROUP_SIZE = env_int("PE365_MIN_GROUP_SIZE", 1, minimum=1, maximum=10_000)
PE365_DEMO = env_bool("PE365_DEMO", False)
# Added latency of the built-in demo API, to make it feel (and benchmark) like a remote one.
PE365_DEMO_LATENCY_MS = env_int("PE365_DEMO_LATENCY_MS", 0, minimum=0, maximum=60000)

if PE365_API_URL:
    if not PE365_API_URL.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            "PE365_API_URL must be the API root URL, e.g. https://pro.weekly10.net."
        )
    for _name in ("PE365_API_USERNAME", "PE365_API_KEY"):
        if not os.environ.get(_name, "").strip():
            raise ImproperlyConfigured(
                f"{_name} is not set. Create an API key in Perform & Engage 365 "
                "(Settings > API keys) and set PE365_API_USERNAME and PE365_API_KEY."
            )
elif not (DEBUG or PE365_DEMO):
    # A production deployment must never silently show made-up data.
    raise ImproperlyConfigured(
        "PE365_API_URL is not set. Set it to the API root (e.g. https://pro.weekly10.net), "
        "or set PE365_DEMO=1 to serve the built-in demo data."
    )

# True when the dashboard talks to the built-in demo API instead of a real account.
PE365_USE_DEMO = not PE365_API_URL

# Development only: the built-in demo API misbehaves on every call, e.g. 503, 401,
# slow:15 or slow:1~surrogate (kinds listed in demo_api/server.py, checked by dashboard/demo.py).
PE365_DEMO_FAULT = env_str("PE365_DEMO_FAULT")
if PE365_DEMO_FAULT and not PE365_USE_DEMO:
    raise ImproperlyConfigured(
        "PE365_DEMO_FAULT only applies to the built-in demo API; unset it (or PE365_API_URL)."
    )

# --- Single sign-on (OpenID Connect, sso/) --------------------------------------------

# The provider's issuer, e.g. https://login.microsoftonline.com/<tenant id>/v2.0; its
# endpoints come from <issuer>/.well-known/openid-configuration (sso/discovery.py).
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME") or "Microsoft"
# The ID token claim listing someone's groups (`groups`) or app roles (`roles`), and the
# values of it that make someone an HR admin.
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM") or "groups"
OIDC_ADMIN_GROUPS = [g.strip() for g in env_str("OIDC_ADMIN_GROUPS").split(",") if g.strip()]
# Seconds the discovery document may take to arrive, and how long it is then reused.
OIDC_DISCOVERY_TIMEOUT = 5
OIDC_DISCOVERY_CACHE_SECONDS = 60 * 60

if OIDC_ISSUER:
    _issuer_host = OIDC_ISSUER.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    if not (
        OIDC_ISSUER.startswith("https://")
        or (OIDC_ISSUER.startswith("http://") and _issuer_host in ("localhost", "127.0.0.1"))
    ):
        raise ImproperlyConfigured(
            "OIDC_ISSUER must be the provider's https:// issuer URL, e.g. "
            "https://login.microsoftonline.com/<tenant id>/v2.0."
        )
    for _name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_ADMIN_GROUPS"):
        if not globals()[_name]:
            raise ImproperlyConfigured(
                f"OIDC_ISSUER is set but {_name} is not. Single sign-on needs OIDC_CLIENT_ID "
                "and OIDC_CLIENT_SECRET (from the provider's app registration) and "
                "OIDC_ADMIN_GROUPS (the group or role values that make someone an HR admin)."
            )
else:
    for _name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_ADMIN_GROUPS"):
        if os.environ.get(_name, "").strip():
            raise ImproperlyConfigured(
                f"{_name} is set but OIDC_ISSUER is not. Set OIDC_ISSUER to the provider's "
                "issuer URL to turn single sign-on on, or unset the OIDC_ variables."
            )
    if not PASSWORD_LOGIN:
        raise ImproperlyConfigured(
            "DJANGO_PASSWORD_LOGIN=0 switches password log-in off, but OIDC_ISSUER is not set, "
            "so nobody could log in. Set up single sign-on (OIDC_ISSUER) or set it back to 1."
        )

# Log out is a form whose answer, after a single sign-on, redirects to the provider's
# sign-out page; browsers hold redirects after a form to form-action too.
if OIDC_ISSUER:
    _scheme, _, _rest = OIDC_ISSUER.partition("://")
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        f"{_scheme}://{_rest.split('/', 1)[0]}"
    )

# mozilla-django-oidc's settings (the endpoints are set from discovery, per sign-in).
OIDC_RP_CLIENT_ID = OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = OIDC_CLIENT_SECRET
# Microsoft Entra ID, like most providers, signs ID tokens with RS256.
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
# The ID token goes back to the provider as id_token_hint when signing out.
OIDC_STORE_ID_TOKEN = True

# --- Mail: reminders and digests (reminders/, django-post-office) ------------------------

# Messages are written to post-office's queue in the database and sent by
# `manage.py send_queued_mail` (cron, every minute). Without EMAIL_HOST they are kept in
# the outbox and nothing leaves the machine: Django's dummy backend accepts and drops them,
# so even a stray send_queued_mail cannot reach an MTA on localhost (Django's default host).
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
# Seconds one SMTP connect, greeting or command may take: a hung server cannot hang the sender.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1, maximum=300)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "plans-dashboard@localhost"
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.dummy.EmailBackend"
)
if EMAIL_HOST and not os.environ.get("DEFAULT_FROM_EMAIL", "").strip():
    raise ImproperlyConfigured(
        "EMAIL_HOST is set but DEFAULT_FROM_EMAIL is not. Set it to the mailbox reminders come "
        "from, e.g. plans-dashboard@example.com (Microsoft 365: a licensed mailbox, or one the "
        "EMAIL_HOST_USER may send as)."
    )
POST_OFFICE = {
    # post-office falls back to EMAIL_BACKEND: SMTP with EMAIL_HOST, the dummy one without.
    # A failed message is tried again this many times, RETRY_INTERVAL apart, then stays failed.
    "MAX_RETRIES": env_int("EMAIL_MAX_RETRIES", 3, minimum=0, maximum=20),
    "RETRY_INTERVAL": timedelta(
        minutes=env_int("EMAIL_RETRY_MINUTES", 15, minimum=1, maximum=24 * 60)
    ),
    # Messages read and sent per round; send_queued_mail runs rounds until the queue is empty.
    "BATCH_SIZE": 500,
    # Oldest first, so a large send cannot starve a digest queued before it.
    "SENDING_ORDER": ["created", "id"],
    # Failures are logged with their reason; a successful send shows in the message's status.
    "LOG_LEVEL": 1,
    "BATCH_DELIVERY_TIMEOUT": 10 * 60,
}
# Days after a reminder during which the same person is not reminded again for that plan.
REMINDER_COOLDOWN_DAYS = env_int("REMINDER_COOLDOWN_DAYS", 3, minimum=0, maximum=365)
# The most messages one send queues; people past it are left out and can be sent next time.
REMINDER_MAX_PER_SEND = env_int("REMINDER_MAX_PER_SEND", 5000, minimum=1, maximum=100_000)
# Where the messages send people to act; defaults to the API's own host.
PE365_APP_URL = env_str("PE365_APP_URL").rstrip("/") or (
    "/".join(PE365_API_URL.split("/", 3)[:3]) if PE365_API_URL else ""
)
if PE365_APP_URL and not PE365_APP_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "PE365_APP_URL must be the https:// address of Perform & Engage 365, "
        "e.g. https://pro.weekly10.net."
    )

# --- Audit log (audit/) ----------------------------------------------------------------

# Days an audit entry is kept; `manage.py prune_audit` (scheduled daily) removes older ones.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365, minimum=1, maximum=36500)

# --- Logging -------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A database error's message can quote names or searched text: logged by type only.
    "filters": {
        "withhold_database_messages": {"()": "plans.error_reports.WithholdDatabaseMessages"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["withhold_database_messages"],
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "plans": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "sso": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "audit": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "reminders": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
