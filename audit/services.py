"""Writing the audit log. Models are imported inside the functions: `audit` exports
these at import time, before Django has loaded the apps' models."""

import ipaddress
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from audit.actions import Action

if TYPE_CHECKING:
    from audit.models import AuditEntry

log = logging.getLogger(__name__)

SSO_BACKEND = "sso.backends.OIDCBackend"


class AuditUnavailable(Exception):
    """The entry could not be written, so the access it describes must not happen."""


def client_address(request: HttpRequest) -> str | None:
    """The client's address by the login throttle's rule (DJANGO_TRUSTED_PROXY_COUNT), if
    it is one: the column holds addresses only."""
    from plans.login import client_address as trusted_client_address

    try:
        return str(ipaddress.ip_address(trusted_client_address(request) or ""))
    except ValueError:
        return None


# What no database column or JSON value may hold: NUL (PostgreSQL refuses it) and lone
# surrogates (not encodable as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: Any) -> Any:
    """`value` with every unstorable character replaced by U+FFFD, in strings, lists and
    dicts (keys included), so that odd text never stops an entry from being written."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, Mapping):
        return {storable(str(key)): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return value


def query_as_json(query: QueryDict) -> dict[str, Any]:
    """A query string as JSON: a repeated parameter keeps every value, as a list."""
    return {key: values[0] if len(values) == 1 else values for key, values in query.lists()}


def _clip(text: str, limit: int) -> str:
    return storable(text[:limit])


def record(
    request: HttpRequest,
    *,
    action: Action,
    plan_id: str = "",
    plan_name: str = "",
    person: str = "",
    filters: Mapping[str, Any] | None = None,
    row_count: int | None = None,
) -> "AuditEntry":
    """Write one entry for the request's user, now, before the data is sent.

    `filters` defaults to the request's query string. Raises AuditUnavailable when the
    database refuses the entry: the caller then refuses the access (see `refusal`).
    """
    from audit.models import AuditEntry

    user = request.user if request.user.is_authenticated else None
    entry = AuditEntry(
        user=user,
        username=user.get_username() if user else "",
        action=action,
        plan_id=_clip(plan_id, 200),
        plan_name=_clip(plan_name, 300),
        person=_clip(person, 300),
        filters=storable(dict(filters) if filters is not None else query_as_json(request.GET)),
        row_count=row_count,
        client_address=client_address(request),
    )
    try:
        entry.save()
    except DatabaseError as error:
        # The type only: the database's message can quote the entry, names included.
        log.error("audit entry not written, access refused: %s", type(error).__name__)
        raise AuditUnavailable(type(error).__name__) from error
    return entry


def refusal(request: HttpRequest, error: AuditUnavailable) -> HttpResponse:
    """The 503 page of an access refused because its audit entry could not be written."""
    return render(request, "audit/unavailable.html", status=503)


def record_sign_in(sender: object, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Receiver of user_logged_in: one entry per sign-in, saying how.

    A sign-in that cannot be recorded does not happen: the session is emptied (in
    memory only: the database may be what fails, and an empty session is never saved)
    and AuditUnavailable reaches plans.middleware.ErrorPagesMiddleware, which shows the
    refusal page.
    """
    if request is None:
        return
    backend = getattr(request, "session", {}).get(BACKEND_SESSION_KEY, "")
    method = "single sign-on" if backend == SSO_BACKEND else "password"
    # The test client's log-in request comes without a user.
    request.user = user
    try:
        record(request, action=Action.SIGN_IN, filters={"method": method})
    except AuditUnavailable:
        from django.contrib.auth.models import AnonymousUser

        request.session.clear()
        request.user = AnonymousUser()
        raise
