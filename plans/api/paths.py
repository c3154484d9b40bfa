"""The API's paths, and the one rule for putting an id into a path."""

from __future__ import annotations

import re
from urllib.parse import quote

from plans.exceptions import NotFound

PLANS_PATH = "/api/v2/conversation_plans/"
TEMPLATES_PATH = "/api/v2/conversation_templates/"
CONVERSATIONS_PATH = "/api/v2/conversations/"
USERS_PATH = "/api/v2/users/"

# An id that holds a path separator, a query or fragment marker, a dot-segment,
# whitespace, a percent sign or a control character can never be a real API id.
# Refusing it here means no input can make the client request another upstream path.
_IMPOSSIBLE_ID = re.compile(r"[/?#\\%\s\x00-\x1f\x7f]|\.\.|^\.$")
MAX_ID_LENGTH = 200


def object_path(collection: str, api_id: str, what: str) -> str:
    """The upstream path of one object; its id always travels as a single path segment."""
    if not api_id or len(api_id) > MAX_ID_LENGTH or _IMPOSSIBLE_ID.search(api_id):
        raise NotFound(what, path=collection)
    return f"{collection}{quote(api_id, safe='')}/"


def plan_path(api_id: str) -> str:
    return object_path(PLANS_PATH, api_id, "plan")


def template_path(api_id: str) -> str:
    return object_path(TEMPLATES_PATH, api_id, "template")
