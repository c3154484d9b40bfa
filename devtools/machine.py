"""What a benchmark records about the machine it ran on, so runs can be compared."""

from __future__ import annotations

import os
import platform
from typing import Any


def machine_facts() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        # Other work on the machine skews every figure: compare runs on a quiet machine.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
