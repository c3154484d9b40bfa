"""The errors the service raises; views turn each into a page with the right status.

Every error carries two texts. `message` is for the HR admin looking at the page: plain
words on what happened and what to do next. `detail` is for the administrator who runs
the dashboard (the HTTP status, the setting to check) and is shown behind a disclosure.
Neither ever contains the API key.
"""


class UpstreamError(Exception):
    """Something went wrong talking to Perform & Engage 365."""

    status_code = 502
    title = "Perform & Engage 365 could not be reached"

    def __init__(
        self,
        message: str,
        *,
        detail: str = "",
        path: str = "",
        upstream_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.path = path
        self.upstream_status = upstream_status


class NotFound(UpstreamError):
    """The API has no such object, or the id can never name one."""

    status_code = 404
    title = "Not found"


class UpstreamUnavailable(UpstreamError):
    """The API is down, refused the connection, or answered with a server error."""

    status_code = 503
    title = "Perform & Engage 365 is unavailable"


class UpstreamTimeout(UpstreamUnavailable):
    """The API did not answer within the configured time budget."""

    status_code = 504
    title = "Perform & Engage 365 did not answer in time"


class UpstreamThrottled(UpstreamUnavailable):
    """The API kept answering 429 after our retries."""

    status_code = 503
    title = "Perform & Engage 365 is busy"


class CredentialsRejected(UpstreamError):
    """The API refused our API key (401) or its permissions (403)."""

    status_code = 502
    title = "The dashboard's API key was refused"


class MalformedResponse(UpstreamError):
    """The API answered, but not with the JSON shape its documentation describes."""

    status_code = 502
    title = "Perform & Engage 365 sent an unexpected answer"


class TooManyCalls(UpstreamError):
    """One page needed more upstream calls than PE365_MAX_CALLS allows."""

    status_code = 503
    title = "Too much to read for one page"


class TooManyRows(UpstreamError):
    """A list holds more rows than one page may read (PE365_MAX_ROWS)."""

    status_code = 422
    title = "Too many to read at once"

    def __init__(
        self, message: str, *, count: int, max_rows: int, detail: str = "", path: str = ""
    ) -> None:
        super().__init__(message, detail=detail, path=path, upstream_status=200)
        self.count = count
        self.max_rows = max_rows
