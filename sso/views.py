"""Sign-in with the provider, its callback, sign-out, and the password-login switch.

mozilla-django-oidc's two views run the flow; these subclasses find the endpoints by
discovery when a sign-in starts and turn every way a sign-in can fail (the provider
unreachable or refusing, a stale or forged state, a token that does not verify) into a
page that says what happened, instead of an error 500 or a bare redirect.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import View
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from sso import discovery

log = logging.getLogger(__name__)


def _unavailable(request: HttpRequest, error: discovery.DiscoveryError) -> HttpResponse:
    log.warning("single sign-on unavailable: %s", error)
    context = {"discovery_url": error.url, "problem": error.problem}
    return render(request, "sso/unavailable.html", context, status=503)


def _failed(request: HttpRequest, reason: str, *, status: int = 400) -> HttpResponse:
    return render(request, "sso/failed.html", {"reason": reason}, status=status)


class SignInView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with state, nonce and PKCE challenge."""

    def __init__(self, **kwargs: Any) -> None:
        # Not the library's __init__: it reads the endpoint from settings, which has none.
        View.__init__(self, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ISSUER:
            raise Http404("Single sign-on is not set up.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = discovery.provider().authorization_endpoint
        except discovery.DiscoveryError as error:
            return _unavailable(request, error)
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: checks it all, signs in, goes to ?next=."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ISSUER:
            raise Http404("Single sign-on is not set up.")
        try:
            return super().get(request)
        except discovery.DiscoveryError as error:
            return _unavailable(request, error)
        except (SuspiciousOperation, jwt.InvalidTokenError) as error:
            # A state this browser never started, a nonce that does not match, a token
            # that fails its checks: a replay or forgery, or a sign-in begun elsewhere.
            log.warning("single sign-on refused: %s", error)
            return _failed(
                request,
                "The answer from the sign-in service could not be verified, so it was "
                "refused. Start again from the dashboard's log-in page.",
            )
        except requests.RequestException as error:
            log.warning("single sign-on: token request failed: %s", error)
            return _failed(
                request,
                f"{settings.OIDC_PROVIDER_NAME} did not complete the sign-in (its token "
                "endpoint failed or could not be reached). Try again in a minute; if it "
                "keeps failing, ask the dashboard's administrator to check OIDC_CLIENT_ID, "
                "OIDC_CLIENT_SECRET and the app registration.",
                status=502,
            )

    def login_failure(self) -> HttpResponse:
        request = self.request
        if error := request.GET.get("error"):
            return _failed(
                request,
                f"{settings.OIDC_PROVIDER_NAME} did not sign you in ({error}). "
                "Try again, or ask your IT department whether you may use this dashboard.",
                status=403,
            )
        user = getattr(self, "user", None)
        if user is not None and not user.is_active:
            return _failed(
                request,
                "Your dashboard account is switched off. Ask a dashboard administrator.",
                status=403,
            )
        return _failed(
            request,
            "This sign-in was not started in this browser, or took too long. "
            "Start again from the dashboard's log-in page.",
        )


def _provider_logout_url(request: HttpRequest) -> str | None:
    """Where to end the provider's session too, when it offers that and we signed in there."""
    id_token = request.session.get("oidc_id_token")
    if not id_token or not settings.OIDC_ISSUER:
        return None
    try:
        end_session = discovery.provider().end_session_endpoint
    except discovery.DiscoveryError as error:
        log.warning("signing out of the dashboard only: %s", error)
        return None
    if not end_session:
        return None
    query = {
        "id_token_hint": id_token,
        "client_id": settings.OIDC_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
    }
    separator = "&" if "?" in end_session else "?"
    return f"{end_session}{separator}{urlencode(query)}"


class LogoutView(auth_views.LogoutView):
    """Django's log-out; after a single sign-on, then on to the provider's sign-out."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        provider_logout = _provider_logout_url(request)
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(provider_logout) if provider_logout else response


def password_login_switch(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """With DJANGO_PASSWORD_LOGIN=0, the login page refuses passwords (and shows no form)."""

    @wraps(view)
    def switched(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST" and not settings.PASSWORD_LOGIN:
            context = {"next": request.POST.get("next", ""), "password_refused": True}
            return render(request, "registration/login.html", context, status=403)
        return view(request, *args, **kwargs)

    return switched
