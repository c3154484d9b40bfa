"""The provider's endpoints, read from its discovery document and kept for an hour.

Providers publish their endpoints at <issuer>/.well-known/openid-configuration
(OpenID Connect Discovery 1.0), so OIDC_ISSUER is the only address an operator sets.
A failed read is not kept: the next sign-in tries again.
"""

import logging
from dataclasses import asdict, dataclass
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"


class DiscoveryError(Exception):
    """The issuer's discovery document could not be read or does not describe a provider."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"{url}: {problem}")
        self.url = url
        self.problem = problem


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    # RP-initiated logout; Entra ID and most providers have one, not all.
    end_session_endpoint: str = ""


def discovery_url() -> str:
    return settings.OIDC_ISSUER + DISCOVERY_PATH


def provider() -> Provider:
    """The configured issuer's endpoints; raises DiscoveryError when they cannot be read."""
    key = f"oidc-discovery:{settings.OIDC_ISSUER}"
    try:
        cached = cache.get(key)
    except Exception as error:  # any cache backend's error: discovery is then fetched
        log.warning("cache unavailable, fetching discovery: %s", type(error).__name__)
        cached = None
    if cached:
        return Provider(**cached)
    found = _fetch()
    try:
        cache.set(key, asdict(found), settings.OIDC_DISCOVERY_CACHE_SECONDS)
    except Exception as error:
        log.warning("cache unavailable, discovery not kept: %s", type(error).__name__)
    return found


def _fetch() -> Provider:
    url = discovery_url()
    try:
        response = requests.get(url, timeout=settings.OIDC_DISCOVERY_TIMEOUT)
        response.raise_for_status()
        document: Any = response.json()
    except requests.Timeout:
        raise DiscoveryError(url, "the provider did not answer in time") from None
    except requests.HTTPError as error:
        raise DiscoveryError(
            url, f"the provider answered HTTP {error.response.status_code}"
        ) from None
    except requests.JSONDecodeError:
        raise DiscoveryError(url, "the answer is not a JSON document") from None
    except requests.RequestException as error:
        raise DiscoveryError(
            url, f"the provider could not be reached ({type(error).__name__})"
        ) from None
    if not isinstance(document, dict):
        raise DiscoveryError(url, "the answer is not a discovery document")
    issuer = document.get("issuer")
    # The spec asks for an exact match; a trailing slash is the one difference tolerated.
    if not isinstance(issuer, str) or issuer.rstrip("/") != settings.OIDC_ISSUER:
        raise DiscoveryError(
            url, f"the document names issuer {issuer!r}, not OIDC_ISSUER {settings.OIDC_ISSUER!r}"
        )
    endpoints = {}
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(field)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise DiscoveryError(url, f"the document has no usable {field}")
        endpoints[field] = value
    end_session = document.get("end_session_endpoint")
    return Provider(
        issuer=issuer,
        end_session_endpoint=end_session if isinstance(end_session, str) else "",
        **endpoints,
    )
