"""Settings for the test suite: production defaults (DEBUG off) plus a fake API account.

Values are forced, not defaulted, so a developer's exported .env never leaks into tests.
"""

import os

os.environ.update(
    {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "test-secret-key-for-the-test-suite-only-0123456789",
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "PE365_API_URL": "https://pe365.test",
        "PE365_API_USERNAME": "dashboard-bot",
        "PE365_API_KEY": "test-api-key-0123456789",
        "PE365_TIMEOUT": "10",
        "PE365_CACHE_TTL": "0",
        "PE365_DEMO": "0",
    }
)
# CI runs the suite on PostgreSQL (scripts/services.sh); locally SQLite is the default.
if os.environ.get("TEST_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["TEST_DATABASE_URL"]
else:
    os.environ.pop("DATABASE_URL", None)
os.environ.pop("REDIS_URL", None)
# Single sign-on is off unless a test turns it on (tests/conftest.py, sso_settings).
os.environ.pop("OIDC_ISSUER", None)
os.environ.pop("OIDC_CLIENT_ID", None)
os.environ.pop("OIDC_CLIENT_SECRET", None)
os.environ.pop("OIDC_PROVIDER_NAME", None)
os.environ.pop("OIDC_ADMIN_GROUPS", None)
os.environ.pop("OIDC_GROUPS_CLAIM", None)
os.environ.pop("DJANGO_PASSWORD_LOGIN", None)
os.environ.pop("AUDIT_RETENTION_DAYS", None)
# No mail server unless a test starts one (tests/conftest.py, smtp_server).
for _name in (
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_TIMEOUT",
    "EMAIL_MAX_RETRIES",
    "EMAIL_RETRY_MINUTES",
    "DEFAULT_FROM_EMAIL",
    "REMINDER_COOLDOWN_DAYS",
    "REMINDER_MAX_PER_SEND",
    "PE365_APP_URL",
):
    os.environ.pop(_name, None)

from dashboard.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The manifest storage needs collectstatic; tests render templates without it.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# WhiteNoise finds static files when asked instead of indexing STATIC_ROOT each time a test
# client loads the middleware (after a collectstatic that indexing was half the suite's time).
WHITENOISE_AUTOREFRESH = True
