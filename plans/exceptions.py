"""The errors the client raises; the middleware and views turn each into a page.

Each error carries the facts of what happened (the path asked for, the status the API
answered, the limit that was reached) and words two texts from them, by its class's
templates: `message`, for the HR admin looking at the page (what happened, what to do
next), and `detail`, for the administrator who runs the dashboard (the HTTP status, the
setting to check), shown behind a disclosure. Neither ever contains the API key.
"""

from __future__ import annotations

from typing import Any

TRY_AGAIN = "Try again in a minute."
TELL_ADMINISTRATOR = "If it keeps happening, tell the dashboard's administrator."
ANSWERED = "The API answered HTTP {upstream_status} to GET {path}."


class UpstreamError(Exception):
    """Perform & Engage 365 refused a request (a 4xx the other errors do not cover)."""

    status_code = 502
    title = "Perform & Engage 365 could not be reached"
    MESSAGE = f"Perform & Engage 365 refused the dashboard's request. {TELL_ADMINISTRATOR}"
    DETAIL = ANSWERED

    def __init__(self, *, path: str = "", upstream_status: int | None = None, **facts: Any) -> None:
        super().__init__()
        self.path = path
        self.upstream_status = upstream_status
        vars(self).update(facts)

    @property
    def message(self) -> str:
        return self.MESSAGE.format(**vars(self))

    @property
    def detail(self) -> str:
        return self.DETAIL.format(**vars(self))

    def __str__(self) -> str:
        return self.message


class NotFound(UpstreamError):
    """There is no such `what` (a plan, a template, …), or the id can never name one."""

    status_code = 404
    title = "Not found"
    MESSAGE = "There is no {what} with that id."

    def __init__(self, what: str, *, path: str = "", upstream_status: int | None = None) -> None:
        super().__init__(path=path, upstream_status=upstream_status, what=what)

    @property
    def detail(self) -> str:
        if self.upstream_status is None:
            return "The id cannot name an object of the API."
        return super().detail


class PlanWithoutTemplate(NotFound):
    MESSAGE = "The plan names no template."

    def __init__(self, *, path: str = "") -> None:
        super().__init__("template", path=path)


class PlanWithoutName(NotFound):
    """The API filters conversations by plan name; an empty filter would read them all."""

    MESSAGE = "The plan has no name to look its conversations up by."

    def __init__(self, *, path: str = "") -> None:
        super().__init__("plan name", path=path)


class UpstreamUnavailable(UpstreamError):
    """The API answered with a server error."""

    status_code = 503
    title = "Perform & Engage 365 is unavailable"
    MESSAGE = f"Perform & Engage 365 answered with a server error. {TRY_AGAIN}"


class UpstreamUnreachable(UpstreamUnavailable):
    """The connection to the API failed: refused, reset, unresolvable, closed."""

    MESSAGE = f"Perform & Engage 365 could not be reached. {TRY_AGAIN}"
    DETAIL = "The connection failed. Check the service status, the network and PE365_API_URL."


class UpstreamTimeout(UpstreamUnavailable):
    """The API did not answer within the page's budget of `seconds` (PE365_TIMEOUT)."""

    status_code = 504
    title = "Perform & Engage 365 did not answer in time"
    MESSAGE = f"Perform & Engage 365 did not answer within {{seconds:g}} seconds. {TRY_AGAIN}"
    DETAIL = "The time allowed by PE365_TIMEOUT ran out."

    def __init__(self, *, seconds: float, path: str = "") -> None:
        super().__init__(path=path, seconds=seconds)


class UpstreamThrottled(UpstreamUnavailable):
    """The API kept answering 429 after the retries the budget allowed."""

    title = "Perform & Engage 365 is busy"
    MESSAGE = f"Perform & Engage 365 is receiving too many requests right now. {TRY_AGAIN}"

    def __init__(self, *, path: str = "") -> None:
        super().__init__(path=path, upstream_status=429)


class CredentialsRejected(UpstreamError):
    """The API refused the key (401) or its permissions (403)."""

    title = "The dashboard's API key was refused"
    MESSAGE = (
        "Perform & Engage 365 refused the dashboard's access. Ask the dashboard's "
        "administrator to check its API key."
    )

    @property
    def detail(self) -> str:
        if self.upstream_status == 403:
            fix = (
                "The key lacks read access: set PE365_API_USERNAME and PE365_API_KEY to a key "
                "that may read conversation plans."
            )
        else:
            fix = "Check PE365_API_USERNAME and PE365_API_KEY."
        return f"{super().detail} {fix}"


class MalformedResponse(UpstreamError):
    """The API answered, but not with what its documentation describes: `problem` says
    what is wrong with the answer to GET `path` ("is not JSON"), `what` names what was
    being read ("a list of plans")."""

    title = "Perform & Engage 365 sent an unexpected answer"
    MESSAGE = (
        "Perform & Engage 365 sent {what} the dashboard could not read. "
        f"{TRY_AGAIN} {TELL_ADMINISTRATOR}"
    )
    DETAIL = "The answer to GET {path} {problem}."

    def __init__(self, *, path: str, problem: str, what: str = "a reply") -> None:
        super().__init__(path=path, upstream_status=200, problem=problem, what=what)


class ResponseTooBig(MalformedResponse):
    """An answer bigger, once decompressed, than PE365_MAX_RESPONSE_MB (`max_bytes`)."""

    MESSAGE = (
        f"Perform & Engage 365 sent a reply bigger than the dashboard reads. {TELL_ADMINISTRATOR}"
    )
    DETAIL = (
        "The answer to GET {path} is over {megabytes} MB once decompressed, the limit set by "
        "PE365_MAX_RESPONSE_MB."
    )

    def __init__(self, *, path: str, max_bytes: int) -> None:
        super().__init__(path=path, problem="is too big")
        self.megabytes = max_bytes // 2**20


class TooManyCalls(UpstreamError):
    """One page needed more upstream calls than PE365_MAX_CALLS (`max_calls`) allows."""

    status_code = 503
    title = "Too much to read for one page"
    MESSAGE = (
        "This page needs more from Perform & Engage 365 than the dashboard reads for one "
        "page. Narrow the list by plan name or template."
    )
    DETAIL = "The page stopped after {max_calls} upstream calls, the limit set by PE365_MAX_CALLS."

    def __init__(self, *, max_calls: int, path: str = "") -> None:
        super().__init__(path=path, max_calls=max_calls)


class TooManyRows(UpstreamError):
    """A list counts `count` items (`noun`: "plans"), more than PE365_MAX_ROWS (`max_rows`);
    a plan list says how to narrow it."""

    status_code = 422
    title = "Too many to read at once"
    MESSAGE = (
        "These filters match {count:,} {noun}, more than the dashboard filters, sorts or "
        "exports at once ({max_rows:,}).{advice}"
    )
    DETAIL = "GET {path} counts {count:,} items; PE365_MAX_ROWS is {max_rows:,}."

    def __init__(self, *, count: int, max_rows: int, noun: str, path: str = "") -> None:
        advice = " Narrow the list by plan name or template." if noun == "plans" else ""
        super().__init__(
            path=path, upstream_status=200, count=count, max_rows=max_rows, noun=noun, advice=advice
        )
