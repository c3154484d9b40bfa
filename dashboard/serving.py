"""gunicorn's threaded worker, stamping each request with when it was queued for a thread.

A page's budget (PE365_TIMEOUT) is meant to bound what a person waits, but a request
can wait for a free thread before any of its code runs. The worker sees when a ready
connection is handed to its thread pool; it passes that moment on as a request header
(any copy the client sent is dropped first, so it cannot be forged), and
plans.middleware.QueueDeadlineMiddleware refuses at once a request that waited its
whole budget. A header set by the worker itself needs no proxy and no clock shared
between machines; the clock is time.monotonic, as worker and middleware share a process.
"""

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker  # type: ignore[import-untyped]

# As gunicorn hands it to Django: META["HTTP_X_DASHBOARD_QUEUED_AT"].
QUEUED_AT_HEADER = "X-DASHBOARD-QUEUED-AT"


def _header_key(name: str) -> str:
    # gunicorn and WSGI read "-" and "_" in a name as one: compare them as one.
    return name.upper().replace("_", "-")


class QueueStampingWorker(ThreadWorker):
    def enqueue_req(self, conn: Any) -> None:
        conn.dashboard_queued_at = time.monotonic()
        super().enqueue_req(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        req.headers = [
            (name, value) for name, value in req.headers if _header_key(name) != QUEUED_AT_HEADER
        ]
        req.headers.append((QUEUED_AT_HEADER, repr(conn.dashboard_queued_at)))
        return super().handle_request(req, conn)
