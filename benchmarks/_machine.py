"""The machine block every benchmark result records: timings mean little without it."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from typing import Any


def machine(load_avg_start: Sequence[float] | None = None) -> dict[str, Any]:
    """Python, platform and cores; with ``load_avg_start``, the load average then and now, so
    a result shows whether something else shared the cores while it ran."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    if load_avg_start is not None:
        info["load_avg_start"] = [round(x, 2) for x in load_avg_start]
        info["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    return info
