"""What one dashboard request may spend upstream: time, calls, and patience after a 429.

A `RequestBudget` starts when the request's `Client` is made and is shared by every
call of that request, its concurrent ones included. `transport` consults it before
each attempt: the calls of a page together get PE365_TIMEOUT seconds and at most
PE365_MAX_CALLS attempts, and when the API asks one of them to wait (429 with
Retry-After) all of them wait.
"""

from __future__ import annotations

import threading
import time

from plans.exceptions import TooManyCalls


class RequestBudget:
    def __init__(self, *, seconds: float, max_calls: int) -> None:
        self.seconds = seconds  # what the deadline stands for, as a person reads it
        self.deadline = time.monotonic() + seconds
        self.max_calls = max_calls
        self.calls = 0
        self._resume_at = 0.0
        self._guard = threading.Lock()

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once it has passed)."""
        return self.deadline - time.monotonic()

    def spend_call(self, path: str) -> None:
        """Count one upstream attempt; refuse it when the request has made its last one."""
        with self._guard:
            self.calls += 1
            over = self.calls > self.max_calls
        if over:
            raise TooManyCalls(
                "This page needs more from Perform & Engage 365 than the dashboard reads "
                "for one page. Narrow the list by plan name or template.",
                detail=f"The page stopped after {self.max_calls} upstream calls, the limit "
                "set by PE365_MAX_CALLS.",
                path=path,
            )

    def hold(self, seconds: float) -> None:
        """Hold every further call of the request for `seconds` (the API said Retry-After)."""
        with self._guard:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def pause(self) -> float:
        """Seconds to wait before the next attempt may start."""
        return max(self._resume_at - time.monotonic(), 0.0)
