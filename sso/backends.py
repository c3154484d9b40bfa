"""Signing in with the provider: mozilla-django-oidc's backend, fitted to the dashboard.

The library exchanges the code (with the PKCE verifier), checks the ID token's
signature, expiry and nonce. Here:

- the endpoints come from discovery, when a sign-in happens (Django builds a backend
  object for every authentication and every request's session check, so nothing is
  fetched on construction);
- the ID token must also name our issuer and our client (`iss`, `aud`), which the
  library does not check, and its key may be unnamed (`kid`) when the provider has one;
- the claims are the ID token's: Entra ID puts `groups`/`roles` there, not in userinfo;
- a user is found by (issuer, subject), never by a name or e-mail someone can change,
  and made once even when two first sign-ins of one person arrive together;
- every sign-in copies name and e-mail and sets HR admins membership from the claim.
"""

import hashlib
import logging
import secrets
from collections.abc import Iterator
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from sso import discovery
from sso.models import OIDCIdentity

log = logging.getLogger(__name__)

HR_ADMINS = "HR admins"  # created by migration plans/0002, holds plans.view_plans


def claim_values(claims: dict[str, Any], name: str) -> set[str]:
    """A list claim's values (a provider may send one value as a plain string)."""
    value = claims.get(name)
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()


def is_hr_admin(claims: dict[str, Any]) -> bool:
    granted = claim_values(claims, settings.OIDC_GROUPS_CLAIM)
    return not granted.isdisjoint(settings.OIDC_ADMIN_GROUPS)


class OIDCBackend(OIDCAuthenticationBackend):
    """Single sign-on; permissions are ModelBackend's (the library's base class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(
        self, request: HttpRequest | None, *, nonce: str, code_verifier: str | None
    ) -> AbstractBaseUser | None:
        # Keyword-only nonce: only the callback view's call fits this signature, so a
        # password form's credentials never reach the code exchange.
        if request is None or not nonce or not settings.OIDC_ISSUER:
            return None
        found = discovery.provider()
        self.issuer = found.issuer
        self.OIDC_OP_TOKEN_ENDPOINT = found.token_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = found.jwks_uri
        return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)

    def get_user(self, user_id: int) -> AbstractBaseUser | None:
        # ModelBackend's: an account switched off in the admin ends its sessions too.
        return ModelBackend.get_user(self, user_id)

    def retrieve_matching_jwk(self, token: str) -> jwt.PyJWK:
        """The provider's signing key for `token`: the one its `kid` names, or, when the
        token names none (allowed when a provider has one key), the only one there is."""
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        keys = response.json().get("keys")
        header = jwt.get_unverified_header(token)
        candidates = [
            key
            for key in (keys if isinstance(keys, list) else [])
            if isinstance(key, dict)
            and ("kid" not in header or key.get("kid") == header["kid"])
            and key.get("alg", header.get("alg")) == header.get("alg")
        ]
        if len(candidates) != 1:
            raise SuspiciousOperation("No single signing key matches the ID token.")
        return jwt.PyJWK(candidates[0])

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        if payload.get("iss", "").rstrip("/") != self.issuer.rstrip("/"):
            raise SuspiciousOperation("The ID token was issued by another issuer.")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token was issued for another client.")
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("The ID token was issued to another party.")
        return payload

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        # The verified ID token's claims: they hold the subject and the groups/roles.
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return isinstance(claims.get("sub"), str) and bool(claims["sub"])

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet:
        return self.UserModel.objects.filter(
            oidc_identity__issuer=self.issuer, oidc_identity__subject=claims["sub"]
        )

    def create_user(self, claims: dict[str, Any]) -> AbstractBaseUser:
        """The person's user, made once: two tabs finishing a first sign-in at once make one
        user (the second finds the first's), two people with one preferred name get two."""
        for username in self._usernames(claims):
            try:
                with transaction.atomic():
                    user = self.UserModel.objects.create_user(username)
                    OIDCIdentity.objects.create(
                        user=user, issuer=self.issuer, subject=claims["sub"]
                    )
            except IntegrityError:
                # Another request made this person's user meanwhile, or took the name.
                existing = self.filter_users_by_claims(claims).first()
                if existing is not None:
                    return self.update_user(existing, claims)
                continue
            log.info("created user %s for a first sign-in", user.pk)
            return self.update_user(user, claims)
        raise IntegrityError("No free username for a first sign-in.")

    def update_user(self, user: Any, claims: dict[str, Any]) -> AbstractBaseUser:
        first, last = _names(claims)
        email = claims.get("email") if isinstance(claims.get("email"), str) else ""
        changed = {
            field: value
            for field, value in (("first_name", first), ("last_name", last), ("email", email))
            if getattr(user, field) != value
        }
        if changed:
            for field, value in changed.items():
                setattr(user, field, value)
            user.save(update_fields=list(changed))
        group, created = Group.objects.get_or_create(name=HR_ADMINS)
        if created:  # deleted by an administrator: it comes back with what it is for
            group.permissions.add(
                Permission.objects.get(content_type__app_label="plans", codename="view_plans")
            )
        if is_hr_admin(claims):
            user.groups.add(group)
        else:
            user.groups.remove(group)
        return user

    def _usernames(self, claims: dict[str, Any]) -> Iterator[str]:
        """Readable usernames from the claims to try in turn: the preferred name, then with
        a suffix of the subject's hash (someone else has it: a password user, a former
        employee's account, a namesake), then a random one."""
        field = self.UserModel._meta.get_field(self.UserModel.USERNAME_FIELD)
        limit = getattr(field, "max_length", None) or 150
        preferred = next(
            (
                value
                for name in ("preferred_username", "email", "sub")
                if isinstance(value := claims.get(name), str) and value
            ),
        )
        yield preferred[:limit]
        for suffix in (
            "-" + hashlib.sha256(claims["sub"].encode()).hexdigest()[:8],
            "-" + secrets.token_hex(16),
        ):
            yield preferred[: limit - len(suffix)] + suffix


def _names(claims: dict[str, Any]) -> tuple[str, str]:
    """First and last name, from given/family name or else split from `name`."""
    given, family = claims.get("given_name"), claims.get("family_name")
    if isinstance(given, str) or isinstance(family, str):
        first, last = given or "", family or ""
    else:
        name = claims.get("name")
        first, _, last = (name if isinstance(name, str) else "").strip().partition(" ")
    return str(first)[:150], str(last)[:150]
