"""Query parameters of the dashboard, parsed and bounded (pure: ``now`` is passed in).

Times are epoch seconds or ISO 8601 (``2027-01-15T08:00:00Z``; no offset means UTC).
Everything out of range is refused with `DashboardBadRequestError` naming the parameter,
so a hostile or mistaken URL costs one 400, never a table scan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from openderms.server.dashboard.errors import DashboardBadRequestError

__all__ = [
    "DEFAULT_WINDOW_S",
    "MAX_WINDOW_S",
    "TimeRange",
    "int_param",
    "lfdi_param",
    "lfdi_prefix_param",
    "parse_time",
    "parse_when",
    "time_range",
]

#: Window shown when none is asked for [s].
DEFAULT_WINDOW_S = 24 * 3600
#: Longest window any view or export covers [s] (one year).
MAX_WINDOW_S = 366 * 24 * 3600
#: Latest time accepted [s] (year 9999; TimeType is an Int64 but browsers stop there).
_MAX_TIME_S = 253_402_300_799
_LFDI = re.compile(r"^[0-9A-Fa-f]{40}$")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_DIGITS = re.compile(r"^-?[0-9]{1,12}$")


@dataclass(frozen=True, slots=True)
class TimeRange:
    """[since, until) in seconds since the epoch."""

    since: int
    until: int

    @property
    def span_s(self) -> int:
        return self.until - self.since


def parse_time(name: str, text: str) -> int:
    """Epoch seconds or ISO 8601 -> epoch seconds [s].

    Raises
    ------
    DashboardBadRequestError
        Neither form, or outside 1970..9999.
    """
    text = text.strip()
    if _DIGITS.match(text):
        value = int(text)
    else:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise DashboardBadRequestError(
                f"{name} must be epoch seconds or ISO 8601 (e.g. 2027-01-15T08:00:00Z), "
                f"not {text[:40]!r}"
            ) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        value = int(parsed.timestamp())
    if not 0 <= value <= _MAX_TIME_S:
        raise DashboardBadRequestError(f"{name} must be between 1970 and 9999")
    return value


_RELATIVE = re.compile(r"^\+\s*([0-9]{1,9})\s*(s|m|min|h|d)?$")
_UNIT_S = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_when(name: str, text: str, *, now: int) -> int:
    """A start time as people write it: empty or ``now``, ``+10m`` (s, m, h, d after now),
    epoch seconds or ISO 8601 [s since the epoch]."""
    text = text.strip()
    if text.lower() in ("", "now"):
        return now
    relative = _RELATIVE.match(text.lower())
    if relative:
        return now + int(relative.group(1)) * _UNIT_S[relative.group(2) or "s"]
    return parse_time(name, text)


def time_range(
    args: Mapping[str, str],
    *,
    now: int,
    default_window_s: int = DEFAULT_WINDOW_S,
    max_window_s: int = MAX_WINDOW_S,
) -> TimeRange:
    """The [since, until) a request asks for: ``since``/``until`` or ``window_s`` back from now.

    Defaults to the last ``default_window_s`` up to now (inclusive of now).
    """
    window_s = int_param(args, "window_s", default_window_s, 60, max_window_s)
    # Default end: the next whole minute after now, so "now" is inside and labels are round.
    until = parse_time("until", args["until"]) if args.get("until") else (now // 60 + 1) * 60
    since = parse_time("since", args["since"]) if args.get("since") else until - window_s
    if since >= until:
        raise DashboardBadRequestError("since must be before until")
    if until - since > max_window_s:
        raise DashboardBadRequestError(
            f"the time range is longer than {max_window_s // 86400} days; ask for less"
        )
    return TimeRange(max(since, 0), until)


def int_param(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer parameter within [low, high], or ``default`` when absent."""
    text = args.get(name)
    if text is None or text == "":
        return default
    if not _DIGITS.match(text.strip()):
        raise DashboardBadRequestError(f"{name} must be an integer")
    value = int(text)
    if not low <= value <= high:
        raise DashboardBadRequestError(f"{name} must be between {low} and {high}")
    return value


def lfdi_prefix_param(text: str) -> str | None:
    """A search for devices by the start of their LFDI (hex digits), or None when empty."""
    text = text.strip()
    if not text:
        return None
    if len(text) > 40 or not _HEX.match(text):
        raise DashboardBadRequestError("search by up to 40 hexadecimal digits of an LFDI")
    return text.upper()


def lfdi_param(text: str) -> str:
    """A device's LFDI from a URL: 40 hex digits, upper-cased."""
    if not _LFDI.match(text):
        raise DashboardBadRequestError("an LFDI is 40 hexadecimal digits")
    return text.upper()
