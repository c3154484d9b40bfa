from django.conf import settings
from django.http import HttpRequest


def sign_in(request: HttpRequest) -> dict[str, object]:
    """What the login page offers: single sign-on's button, the password form, or both."""
    return {
        "sso_enabled": bool(settings.OIDC_ISSUER),
        "sso_provider_name": settings.OIDC_PROVIDER_NAME,
        "password_login": settings.PASSWORD_LOGIN,
    }
