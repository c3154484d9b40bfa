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
        if record.exc_info and isinstance(record.exc_info[1], DatabaseError):
            error = record.exc_info[1]
            frames = "".join(traceback.format_tb(error.__traceback__))
            record.exc_text = (
                f"Traceback (most recent call last):\n{frames}{type(error).__name__}: {WITHHELD}"
            )
            record.exc_info = None
        if isinstance(record.args, tuple):
            record.args = tuple(
                f"{type(arg).__name__} {WITHHELD}" if isinstance(arg, DatabaseError) else arg
                for arg in record.args
            )
        return True
