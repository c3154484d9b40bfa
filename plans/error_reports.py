"""Error reports and log records that hide secrets and personal data.

Django's SafeExceptionReporterFilter cleanses `sensitive_variables` and the settings
list only when DEBUG is off; with DEBUG on, the technical 500 page shows every local
variable of every frame, including requests' own frames holding the API key and the
Authorization header. The key reads the whole organisation's HR data, so we hide it
on the developer's screen too. The cost: frames below `Client._fetch` show stars.

A database's error message can quote the values of the statement that failed (a
searched name in an audit entry, a username in a unique constraint), so a log record
of a database error keeps its type and traceback and drops its message.
"""

import logging
import traceback

from django.db import Error as DatabaseError
from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter

WITHHELD = "(message withheld: it can quote the statement's values)"


class AlwaysSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request: HttpRequest | None) -> bool:
        return True


class WithholdDatabaseMessages(logging.Filter):
    """A logging filter: database errors, as the record's exception or one of its
    arguments, appear by type only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and _chain_holds_database_error(record.exc_info[1]):
            record.exc_text = _traceback_without_messages(record.exc_info[1])
            record.exc_info = None
        if isinstance(record.args, tuple):
            record.args = tuple(
                f"{type(arg).__name__} {WITHHELD}" if isinstance(arg, DatabaseError) else arg
                for arg in record.args
            )
        return True


def _chain(error: BaseException | None) -> list[BaseException]:
    chain: list[BaseException] = []
    while error is not None and len(chain) < 10:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


def _chain_holds_database_error(error: BaseException | None) -> bool:
    return any(isinstance(link, DatabaseError) for link in _chain(error))


def _traceback_without_messages(error: BaseException | None) -> str:
    """Each exception of the chain, oldest first: its frames and its type, not its message."""
    parts = [
        "Traceback (most recent call last):\n"
        + "".join(traceback.format_tb(link.__traceback__))
        + f"{type(link).__name__}: {WITHHELD}"
        for link in reversed(_chain(error))
    ]
    return "\n\nDuring handling of the above exception, another exception occurred:\n\n".join(parts)
