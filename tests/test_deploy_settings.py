"""Production settings: `check --deploy` is clean, bad settings stop start-up with a
message naming the variable, and every response carries the security headers."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from devtools.servers import PYTHON, ROOT

pytestmark = pytest.mark.django_db

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "dashboard.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k7Jq2v9Xw0-production-like-secret-8fRz3LmN5pT1yH6cB4dG2sA0eQ9uVxWo",
    "DJANGO_ALLOWED_HOSTS": "plans.example.com",
    "PE365_API_URL": "https://pro.weekly10.net",
    "PE365_API_USERNAME": "dashboard-bot",
    "PE365_API_KEY": "live-key-do-not-print",
}


def manage(*args: str, **env: str | None) -> subprocess.CompletedProcess:
    """Run manage.py with exactly the production environment plus `env` (None unsets)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PE365_", "DJANGO_"))}
    environ.pop("DATABASE_URL", None)
    environ.pop("REDIS_URL", None)
    environ.update(PRODUCTION)
    for name, value in env.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=environ, capture_output=True, text=True
    )


def test_check_deploy_passes_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_passes_behind_a_tls_proxy_that_redirects_itself():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_PROXY_SSL_HEADER="1",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues (1 silenced)" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_SECRET_KEY": "  "}, "DJANGO_SECRET_KEY is not set"),
        ({"PE365_API_URL": None}, "PE365_API_URL is not set"),
        ({"PE365_API_URL": "pro.weekly10.net"}, "PE365_API_URL must be the API root URL"),
        ({"PE365_API_KEY": None}, "PE365_API_KEY is not set"),
        ({"PE365_API_USERNAME": ""}, "PE365_API_USERNAME is not set"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be 1 or 0"),
        ({"DJANGO_SECURE_SSL_REDIRECT": "yes please"}, "DJANGO_SECURE_SSL_REDIRECT must be 1"),
        ({"PE365_DEMO": "2"}, "PE365_DEMO must be 1 or 0"),
        ({"PE365_TIMEOUT": "ten"}, "PE365_TIMEOUT must be a number"),
        ({"PE365_TIMEOUT": "0"}, "PE365_TIMEOUT must be between"),
        ({"PE365_CACHE_TTL": "1.5"}, "PE365_CACHE_TTL must be a whole number"),
        ({"PE365_CACHE_TTL": "-1"}, "PE365_CACHE_TTL must be between"),
        ({"DJANGO_SESSION_IDLE_MINUTES": "0"}, "DJANGO_SESSION_IDLE_MINUTES must be between"),
        ({"DJANGO_TRUSTED_PROXY_COUNT": "one"}, "DJANGO_TRUSTED_PROXY_COUNT must be a number"),
        ({"PE365_DEMO_FAULT": "503"}, "PE365_DEMO_FAULT only applies to the built-in demo"),
        (
            {"PE365_API_URL": None, "PE365_DEMO": "1", "PE365_DEMO_FAULT": "explode"},
            "PE365_DEMO_FAULT must be one of",
        ),
    ],
)
def test_a_missing_or_malformed_setting_stops_start_up_naming_it(env, message):
    result = manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "live-key-do-not-print" not in result.stderr


def test_production_serves_demo_data_only_when_asked():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.PE365_USE_DEMO)",
        PE365_API_URL=None,
        PE365_DEMO="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("True")


# --- Headers -------------------------------------------------------------------------------


def test_every_page_sends_the_security_headers(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert csp["connect-src"] == "'self'"  # htmx's requests: same origin only
    assert "unsafe" not in response["Content-Security-Policy"]


def test_error_pages_send_the_security_headers_too(client):
    response = client.get("/no-such-page/", follow=True)
    assert "Content-Security-Policy" in response and response["X-Frame-Options"] == "DENY"


def test_https_responses_send_hsts_and_cookies_are_secure(client, django_user_model):
    django_user_model.objects.create_user(username="hannah", password="pw-123456789")
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    response = client.post(
        "/accounts/login/", {"username": "hannah", "password": "pw-123456789"}, secure=True
    )
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert response.cookies["csrftoken"]["secure"]


def test_plain_http_is_redirected_to_https_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"


# --- Assets: all from static/ ----------------------------------------------------------------

# Pages, which the browser loads under the CSP. E-mail templates (templates/*/email/) are not
# served with it and keep their styles inline, since mail clients drop <style> sheets.
TEMPLATES = sorted(p for p in (ROOT / "templates").rglob("*.html") if "email" not in p.parts)
EMAIL_TEMPLATES = sorted((ROOT / "templates").rglob("email/*.html"))
THIRD_PARTY = re.compile(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", re.IGNORECASE)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_load_nothing_from_another_origin(template: Path):
    text = template.read_text()
    assert not THIRD_PARTY.search(text)
    # The CSP allows no inline script or style, so none may be written.
    assert "<script>" not in text and "<style" not in text and " style=" not in text
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", text), "inline event handler"


@pytest.mark.parametrize("template", EMAIL_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_email_templates_run_nothing_and_load_nothing_remote(template: Path):
    text = template.read_text()
    assert "<script" not in text and "<img" not in text and "<link" not in text
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", text), "inline event handler"


def test_static_css_and_js_import_nothing_from_another_origin():
    for asset in [*(ROOT / "static").rglob("*.css"), *(ROOT / "static").rglob("*.js")]:
        if "vendor" in asset.parts:
            continue
        assert not re.search(r"(url\(|import\s|@import\s)['\"]?(https?:)?//", asset.read_text())
