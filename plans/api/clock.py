"""The time the client reads, in one place so that tests can set it (tests/conftest.py `clock`).

`monotonic()` measures budgets and deadlines; `now()` stamps when data was fetched.
"""

from __future__ import annotations

import time


def monotonic() -> float:
    return time.monotonic()


def now() -> float:
    return time.time()
