"""An OpenID Connect provider on loopback for the tests: oidc-provider-mock, checking PKCE.

oidc-provider-mock (PyPI) issues real RS256 ID tokens with the nonce and any custom
claims (groups, roles), and offers RP-initiated logout. It accepts PKCE parameters
but does not check them, so `PKCEChecker` wraps it and refuses a token request whose
code_verifier does not match the code_challenge of its authorization request, as
Microsoft Entra ID does.
"""

from __future__ import annotations

import base64
import hashlib
import io
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import oidc_provider_mock
import requests
import werkzeug.serving
from werkzeug.wrappers import Response

CLIENT_ID = "pe365-dashboard"
CLIENT_SECRET = "test-client-secret-0123456789"
ADMIN_GROUP = "hr-admins-group-id"

StartResponse = Callable[..., Any]


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class PKCEChecker:
    """WSGI middleware: remembers each issued code's challenge, checks it at the token call."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.challenges: dict[str, str] = {}
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/oauth2/authorize" and environ["REQUEST_METHOD"] == "POST":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            if query.get("code_challenge_method") != ["S256"] or not query.get("code_challenge"):
                return Response("PKCE (S256) is required", status=400)(environ, start_response)
            challenge = query["code_challenge"][0]

            def remember_code(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
                location = dict(headers).get("Location", "")
                for code in parse_qs(urlsplit(location).query).get("code", []):
                    with self.lock:
                        self.challenges[code] = challenge
                return start_response(status, headers, *args)

            return self.app(environ, remember_code)
        if path == "/oauth2/token" and environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            form = parse_qs(body.decode())
            code = form.get("code", [""])[0]
            verifier = form.get("code_verifier", [""])[0]
            with self.lock:
                challenge = self.challenges.pop(code, None)
            if form.get("grant_type") == ["authorization_code"] and (
                challenge is None or s256(verifier) != challenge
            ):
                return Response(
                    '{"error": "invalid_grant", "error_description": "PKCE verification failed"}',
                    status=400,
                    content_type="application/json",
                )(environ, start_response)
        return self.app(environ, start_response)


@dataclass(frozen=True)
class IdentityProvider:
    issuer: str

    def set_user(self, sub: str, **claims: object) -> None:
        """Create or replace the person `sub` and the claims their next ID token carries."""
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        response.raise_for_status()


@contextmanager
def identity_provider() -> Iterator[IdentityProvider]:
    """The provider on a free loopback port, for the block's duration."""
    app = PKCEChecker(oidc_provider_mock.app(require_nonce=True))
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield IdentityProvider(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
