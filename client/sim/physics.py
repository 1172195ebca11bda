"""Simple physics of the simulated site. Pure functions of time passed in.

These are deliberately plain: a clear-sky-ish solar curve and a house load shape, good
enough to exercise envelopes (midday surplus, evening peak), not to forecast anything.
"""

from __future__ import annotations

import math

__all__ = ["house_load_w", "local_hour", "solar_available_w"]


def local_hour(now: float, utc_offset_h: float) -> float:
    """Hour of the local day in [0, 24) for ``now`` [s since epoch] at ``utc_offset_h`` [h]."""
    return ((now / 3600.0) + utc_offset_h) % 24.0


def solar_available_w(
    now: float,
    peak_w: float,
    utc_offset_h: float = 0.0,
    sunrise_h: float = 6.0,
    sunset_h: float = 18.0,
) -> float:
    """Available DC-side PV power on a clear day [W].

    A sine arch from sunrise to sunset, raised to the power 1.3 to flatten the shoulders as
    air mass does; zero at night.

    Parameters
    ----------
    now : float
        Time [s since epoch].
    peak_w : float
        Power at solar noon [W].
    utc_offset_h : float
        Local time offset from UTC [h].
    sunrise_h, sunset_h : float
        Local hours of sunrise and sunset [h].
    """
    hour = local_hour(now, utc_offset_h)
    if not sunrise_h < hour < sunset_h:
        return 0.0
    phase = (hour - sunrise_h) / (sunset_h - sunrise_h)
    return float(peak_w * math.sin(math.pi * phase) ** 1.3)


def house_load_w(
    now: float, base_w: float, evening_peak_w: float, utc_offset_h: float = 0.0
) -> float:
    """House load: a constant base plus a morning and an evening bump [W].

    Parameters
    ----------
    now : float
        Time [s since epoch].
    base_w : float
        Always-on load [W].
    evening_peak_w : float
        Extra load at 19:00 local [W]; the morning bump at 07:30 is half of it.
    utc_offset_h : float
        Local time offset from UTC [h].
    """
    hour = local_hour(now, utc_offset_h)
    evening = math.exp(-(((hour - 19.0) / 1.5) ** 2))
    morning = 0.5 * math.exp(-(((hour - 7.5) / 1.0) ** 2))
    return base_w + evening_peak_w * (evening + morning)
