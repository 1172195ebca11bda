"""Epoch seconds as calendar text for every 2030.5 TimeType (Int64), not only Python's years.

``datetime`` stops at year 9999, so one LogEvent dated 10000 made a device's page fail
for good. These functions use the proleptic Gregorian calendar over integers (days to
civil date as in H. Hinnant's ``civil_from_days``), so any Int64 time renders.
"""

from __future__ import annotations

__all__ = ["civil", "iso"]

_DAYS_PER_ERA = 146_097  # 400 Gregorian years


def civil(time_s: int) -> tuple[int, int, int, int, int, int]:
    """(year, month, day, hour, minute, second) in UTC of `time_s` [s since the epoch]."""
    days, second_of_day = divmod(time_s, 86_400)
    days += 719_468  # from 1970-01-01 to 0000-03-01
    era, day_of_era = divmod(days, _DAYS_PER_ERA)
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153  # March = 0
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    year = year_of_era + era * 400 + (1 if month <= 2 else 0)
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    return year, month, day, hour, minute, second


def iso(time_s: int | None) -> str | None:
    """``2027-01-15T08:00:00Z`` (None stays None); years outside 0000-9999 in the expanded
    form ``+010000-01-01T00:00:00Z`` (ISO 8601 §4.1.2.4, as JavaScript's Date reads it)."""
    if time_s is None:
        return None
    year, month, day, hour, minute, second = civil(int(time_s))
    year_text = f"{year:04d}" if 0 <= year <= 9999 else f"{year:+07d}"
    return f"{year_text}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"
