"""The head-end's single time source (runtime only; cores and services take ``now``)."""

from __future__ import annotations

import time

__all__ = ["utc_now_s"]


def utc_now_s() -> int:
    """Now as 2030.5 TimeType: whole seconds since the epoch, UTC [s]."""
    return int(time.time())
