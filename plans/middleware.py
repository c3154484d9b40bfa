from urllib.parse import urlsplit

from django.conf import settings
from django.template.response import TemplateResponse

from plans import services
from plans.exceptions import UpstreamError

# Log out is a form whose answer, after a single sign-on, redirects to the provider's
# sign-out page; browsers hold redirects after a form to form-action too.
_SIGN_IN_ORIGIN = (
    "{0.scheme}://{0.netloc}".format(urlsplit(settings.OIDC_ISSUER)) if settings.OIDC_ISSUER else ""
)

# Everything the pages load comes from our own static files: no inline script, no
# inline style attribute, no third-party origin.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        f"form-action 'self' {_SIGN_IN_ORIGIN}".strip(),
        "frame-ancestors 'none'",
    )
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class UpstreamErrorMiddleware:
    """Turns a failed upstream call in any view into a friendly page with the right status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, UpstreamError):
            return None
        response = TemplateResponse(
            request,
            "plans/upstream_error.html",
            {"error": exception},
            status=exception.status_code,
        )
        return response.render()


class ReleaseClientMiddleware:
    """Frees the request's API client as soon as its response is made (see release_client)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            services.release_client(request)
