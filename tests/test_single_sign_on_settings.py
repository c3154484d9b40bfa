"""Single sign-on's settings: a half-done configuration stops start-up, naming the variable."""

import os
import subprocess

import pytest

from devtools.servers import PYTHON, ROOT

BASE = {
    "DJANGO_SETTINGS_MODULE": "dashboard.settings",
    "DJANGO_DEBUG": "1",
    "PE365_DEMO": "1",
}
SSO = {
    "OIDC_ISSUER": "https://login.microsoftonline.com/tenant-id/v2.0",
    "OIDC_CLIENT_ID": "client-id",
    "OIDC_CLIENT_SECRET": "client-secret",
    "OIDC_ADMIN_GROUPS": "group-a, group-b",
}


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly BASE plus `env`."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PE365_", "DJANGO_", "OIDC_", "AUDIT_"))
    }
    environ.pop("DATABASE_URL", None)
    environ.pop("REDIS_URL", None)
    environ.update(BASE, **env)
    script = (
        "from django.conf import settings\n"
        "print(settings.OIDC_ADMIN_GROUPS, settings.OIDC_PROVIDER_NAME,"
        " settings.OIDC_GROUPS_CLAIM, settings.AUTHENTICATION_BACKENDS)\n"
    )
    return subprocess.run(
        [PYTHON, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True
    )


def test_a_complete_configuration_loads_with_its_defaults():
    result = load_settings(**SSO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "['group-a', 'group-b'] Microsoft groups "
        "['axes.backends.AxesStandaloneBackend', "
        "'django.contrib.auth.backends.ModelBackend', 'sso.backends.OIDCBackend']"
    )


def test_password_login_off_leaves_only_single_sign_on():
    result = load_settings(**SSO, DJANGO_PASSWORD_LOGIN="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(
        "['axes.backends.AxesStandaloneBackend', 'sso.backends.OIDCBackend']"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (SSO | {"OIDC_CLIENT_ID": ""}, "OIDC_ISSUER is set but OIDC_CLIENT_ID is not."),
        (SSO | {"OIDC_CLIENT_SECRET": ""}, "OIDC_ISSUER is set but OIDC_CLIENT_SECRET is not."),
        (SSO | {"OIDC_ADMIN_GROUPS": " , "}, "OIDC_ISSUER is set but OIDC_ADMIN_GROUPS is not."),
        ({"OIDC_CLIENT_ID": "client-id"}, "OIDC_CLIENT_ID is set but OIDC_ISSUER is not."),
        (
            SSO | {"OIDC_ISSUER": "http://idp.example/v2.0"},
            "OIDC_ISSUER must be the provider's https://",
        ),
        ({"DJANGO_PASSWORD_LOGIN": "0"}, "but OIDC_ISSUER is not set, so nobody could log in"),
        ({"DJANGO_PASSWORD_LOGIN": "maybe"}, "DJANGO_PASSWORD_LOGIN must be 1 or 0"),
        ({"AUDIT_RETENTION_DAYS": "0"}, "AUDIT_RETENTION_DAYS must be between 1 and 36500."),
    ],
)
def test_a_bad_configuration_stops_start_up_naming_the_variable(env, message):
    result = load_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr
