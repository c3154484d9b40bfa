"""Reading the API's JSON into `plans.api.results`: tolerant of what the API may omit or
add (missing keys, nulls, unknown keys), strict about the rest.

A `Reader` wraps one JSON object of one answer; every field it cannot read raises
`MalformedResponse` naming what was being read and which answer it came from.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from plans.api.results import (
    Conversation,
    Department,
    Manager,
    Person,
    PlanDetail,
    PlanSummary,
    Template,
    User,
)
from plans.exceptions import MalformedResponse

# More objects than any account holds: a bigger count is a broken answer, and a
# number that size would make paging or pagination arithmetic run away.
MAX_COUNT = 10**7
# A moment must survive conversion to any time zone a page may show it in.
EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


# A lone surrogate (the JSON escape \ud800) cannot be encoded, so no page, export or
# database row could hold it; NUL cannot be stored by PostgreSQL. Both become U+FFFD.
_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")


def malformed(path: str, what: str, problem: str = "") -> MalformedResponse:
    problem = f"has {problem or 'an unexpected shape'}"
    return MalformedResponse(path=path, what=what, problem=problem)


class Reader:
    """One JSON object (`what`, for messages) from the answer to GET `path`."""

    def __init__(self, data: Any, *, path: str, what: str) -> None:
        if not isinstance(data, dict):
            raise malformed(path, what, f"{type(data).__name__} where {what} belongs")
        self.data: dict[str, Any] = data
        self.path = path
        self.what = what

    def _bad(self, key: str, expected: str) -> MalformedResponse:
        found = type(self.data.get(key)).__name__
        return malformed(self.path, self.what, f"{found} in {key!r} where {expected} belongs")

    def child(self, value: Any, what: str) -> Reader:
        return Reader(value, path=self.path, what=what)

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                raise malformed(self.path, self.what, f"no {key!r}")
            return ""
        if not isinstance(value, str):
            raise self._bad(key, "text")
        return _UNSAFE_TEXT.sub("\ufffd", value)

    def items(self, key: str) -> list[Any]:
        """A list field; a missing or null one is empty."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._bad(key, "a list")
        return value

    def optional_flag(self, key: str) -> bool | None:
        """True, False, or None when the key is missing or null."""
        value = self.data.get(key)
        if value is not None and not isinstance(value, bool):
            raise self._bad(key, "true or false")
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self._bad(key, "true or false")
        return value

    def moment(self, key: str) -> datetime | None:
        """An ISO 8601 timestamp as an aware datetime (UTC when the API gives no offset)."""
        value = self.text(key)
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
            if not moment.tzinfo:
                moment = moment.replace(tzinfo=UTC)
            in_utc = moment.astimezone(UTC)
        except (ValueError, OverflowError):
            raise self._bad(key, "a date") from None
        if not EARLIEST <= in_utc <= LATEST:
            raise self._bad(key, "a date") from None
        return moment

    def count(self) -> int:
        """The `count` of a list answer: how many objects match, over all pages."""
        value = self.data.get("count")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
            raise self._bad("count", f"a whole number up to {MAX_COUNT:,}")
        return value

    def results(self) -> list[Any]:
        """The `results` of a list answer: this page's objects."""
        value = self.data.get("results")
        if not isinstance(value, list):
            raise self._bad("results", "a list")
        return value


# --- Plans, templates, people ------------------------------------------------------


def _plan_fields(plan: Reader) -> dict[str, Any]:
    return {
        "api_id": plan.text("api_id", required=True),
        "name": plan.text("name"),
        "template_name": plan.text("template_name"),
        "template_api_id": plan.text("template_api_id"),
        "status": plan.text("status"),
        "frequency": plan.text("frequency") or None,
    }


def plan_summary(data: Any, *, path: str) -> PlanSummary:
    return PlanSummary(**_plan_fields(Reader(data, path=path, what="a plan")))


def plan_detail(data: Any, *, path: str) -> PlanDetail:
    plan = Reader(data, path=path, what="a plan")
    return PlanDetail(
        **_plan_fields(plan),
        assigned_users=tuple(_assigned_user(item, plan) for item in plan.items("assigned_users")),
        assigned_departments=tuple(
            _department(plan.child(item, "an assigned department"))
            for item in plan.items("assigned_departments")
        ),
    )


def _user(user: Reader) -> User:
    return User(api_id=user.text("api_id"), name=user.text("name"), email=user.text("email"))


def _assigned_user(item: Any, plan: Reader) -> User:
    """`_user`, first tried without a Reader: a plan's thousands of users are read before
    any of its pages (3,000 take 12 ms with a Reader each, 5.5 ms so; the cold plan page
    missed 1.5 × one call in some runs without it)."""
    if isinstance(item, dict):
        api_id, name, email = item.get("api_id"), item.get("name"), item.get("email")
        if (
            isinstance(api_id, str)
            and isinstance(name, str)
            and isinstance(email, str)
            and not _UNSAFE_TEXT.search(api_id + name + email)
        ):
            return User(api_id, name, email)
    return _user(plan.child(item, "an assigned user"))  # nulls, or says what is wrong


def _department(department: Reader) -> Department:
    return Department(api_id=department.text("api_id"), name=department.text("name"))


def template(data: Any, *, path: str) -> Template:
    item = Reader(data, path=path, what="a template")
    return Template(
        api_id=item.text("api_id"),
        name=item.text("name"),
        active=item.flag("active"),
        draft=item.flag("draft"),
        deleted=item.flag("deleted"),
        created=item.moment("created_date"),
        updated=item.moment("updated_date"),
    )


def conversation(data: Any, *, path: str) -> Conversation:
    item = Reader(data, path=path, what="a conversation")
    return Conversation(
        api_id=item.text("api_id"),
        plan_api_id=item.text("plan_api_id"),
        plan_name=item.text("plan_name"),
        template_name=item.text("template_name"),
        person_api_id=item.text("person_api_id"),
        person_name=item.text("person_name"),
        stage_name=item.text("stage_name"),
        status=item.text("status"),
        generated=item.moment("generated_date"),
        updated=item.moment("updated_date"),
        completed=item.moment("completed_date"),
    )


def person(data: Any, *, path: str) -> Person:
    item = Reader(data, path=path, what="a user")
    manager_data = item.data.get("manager")
    manager = None
    if manager_data is not None:
        boss = item.child(manager_data, "a user's manager")
        manager = Manager(
            api_id=boss.text("api_id"), name=boss.text("name"), email=boss.text("email")
        )
    return Person(
        api_id=item.text("api_id"),
        name=item.text("name"),
        email=item.text("email"),
        departments=tuple(
            _department(item.child(entry, "a user's department"))
            for entry in item.items("departments")
        ),
        manager=manager,
        active=item.optional_flag("is_active"),
    )


def list_page(data: Any, *, path: str, noun: str, limit: int) -> tuple[int, list[Any]]:
    """(count, results) of one page of a list endpoint, asked for with `limit`."""
    page = Reader(data, path=path, what=f"a list of {noun}")
    results = page.results()
    if len(results) > limit:
        raise malformed(
            path, page.what, f"{len(results):,} items where at most {limit:,} were asked for"
        )
    return page.count(), results
