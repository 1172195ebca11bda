"""Site-limit arithmetic: how much PV, charging and load the envelope leaves room for. Pure.

Conventions are the envelope's (:mod:`openderms.client.envelope`): site power is measured
at the connection point, positive importing [W]; DER power is positive generating
(discharging) [W]; limits are non-negative magnitudes [W]. These hold without an optimizer:
the dispatcher applies them on every cycle from the latest meter reading.
"""

from __future__ import annotations

__all__ = ["battery_charge_w", "charge_limit_w", "pv_limit_w", "split_by_rating", "to_percent"]


def pv_limit_w(
    export_limit_w: float | None,
    site_power_w: float,
    pv_power_w: float,
    battery_power_w: float = 0.0,
    battery_charge_w: float = 0.0,
    generation_limit_w: float | None = None,
    pv_rated_w: float | None = None,
    max_generation_pct: float | None = None,
    margin_w: float = 0.0,
) -> float | None:
    """Largest PV output that keeps the site inside its export and generation limits [W].

    The site's own load is what the meter sees with PV and battery taken out:
    ``site_power_w + pv_power_w + battery_power_w``. PV may cover that load, plus what the
    export limit allows, plus what the battery will charge until the next dispatch. A full
    battery (``battery_charge_w = 0``) leaves only load and export: the rest is curtailed.

    Parameters
    ----------
    export_limit_w : float or None
        Maximum export at the connection point [W] (CSIP-AUS opModExpLimW); None: no limit.
    site_power_w : float
        Measured site power, positive importing [W].
    pv_power_w : float
        Measured PV output at the same instant [W].
    battery_power_w : float
        Measured battery power at the same instant, positive discharging [W].
    battery_charge_w : float
        Charging power the batteries are expected to keep up until the next dispatch,
        negative when they will discharge (a discharge target) [W].
    generation_limit_w : float or None
        Maximum generation of the controlled DER [W] (CSIP-AUS opModGenLimW); battery
        discharge counts against it.
    pv_rated_w : float or None
        PV rated power [W], to apply ``max_generation_pct`` and clip the result.
    max_generation_pct : float or None
        Maximum generation as % of rated power [%] (2030.5 opModMaxLimW).
    margin_w : float
        Safety margin kept below every limit, for meter lag and rounding [W].

    Returns
    -------
    float or None
        The PV limit [W], never negative; None when nothing limits PV.

    References
    ----------
    CSIP-AUS v1.2, opModExpLimW and opModGenLimW; IEEE 2030.5-2018, opModMaxLimW.
    """
    bounds: list[float] = []
    if export_limit_w is not None:
        load_w = site_power_w + pv_power_w + battery_power_w
        bounds.append(export_limit_w + load_w + battery_charge_w - margin_w)
    if generation_limit_w is not None:
        discharge_w = max(0.0, battery_power_w, -battery_charge_w)
        bounds.append(generation_limit_w - discharge_w - margin_w)
    if max_generation_pct is not None and pv_rated_w is not None:
        bounds.append(pv_rated_w * max_generation_pct / 100.0)
    if not bounds:
        return None
    limit = max(0.0, min(bounds))
    return min(limit, pv_rated_w) if pv_rated_w is not None else limit


def battery_charge_w(
    soc_pct: float | None,
    max_charge_w: float,
    capacity_wh: float | None,
    horizon_s: float,
    full_soc_pct: float = 100.0,
) -> float:
    """Charging power a battery can keep up for ``horizon_s`` [W].

    A battery close to full cannot hold its rated charge power until the next dispatch;
    counting on it would let export overshoot when it fills.

    Parameters
    ----------
    soc_pct : float or None
        State of charge [%]; None (unknown) counts as full.
    max_charge_w : float
        Charge rating [W].
    capacity_wh : float or None
        Usable capacity [Wh]; None assumes the rating holds.
    horizon_s : float
        Time until the next dispatch [s].
    full_soc_pct : float
        State of charge at which the battery stops charging [%].
    """
    if soc_pct is None or soc_pct >= full_soc_pct or max_charge_w <= 0:
        return 0.0
    if capacity_wh is None or horizon_s <= 0:
        return max_charge_w
    room_wh = (full_soc_pct - soc_pct) / 100.0 * capacity_wh
    return min(max_charge_w, room_wh * 3600.0 / horizon_s)


def charge_limit_w(
    import_limit_w: float | None,
    site_power_w: float,
    battery_power_w: float,
    load_limit_w: float | None = None,
    max_charge_w: float | None = None,
    margin_w: float = 0.0,
) -> float | None:
    """Largest battery charging power inside the import and load limits [W].

    Parameters
    ----------
    import_limit_w : float or None
        Maximum import at the connection point [W] (CSIP-AUS opModImpLimW).
    site_power_w : float
        Measured site power, positive importing [W].
    battery_power_w : float
        Present battery power, positive discharging [W].
    load_limit_w : float or None
        Maximum load/charge of the DER [W] (CSIP-AUS opModLoadLimW).
    max_charge_w : float or None
        Battery charge rating [W].
    margin_w : float
        Safety margin [W].

    Returns
    -------
    float or None
        Charge limit [W], never negative; None when nothing limits charging.
    """
    bounds: list[float] = []
    if import_limit_w is not None:
        # The site without the battery imports site + battery discharge.
        site_without_battery_w = site_power_w + battery_power_w
        bounds.append(import_limit_w - site_without_battery_w - margin_w)
    if load_limit_w is not None:
        bounds.append(load_limit_w)
    if not bounds:
        return None
    limit = max(0.0, min(bounds))
    return min(limit, max_charge_w) if max_charge_w is not None else limit


def split_by_rating(total_w: float, ratings_w: list[float]) -> list[float]:
    """Share ``total_w`` [W] among devices in proportion to their ratings [W]."""
    rated = sum(ratings_w)
    if rated <= 0:
        return [total_w / len(ratings_w)] * len(ratings_w) if ratings_w else []
    return [total_w * r / rated for r in ratings_w]


def to_percent(power_w: float, rated_w: float) -> float:
    """``power_w`` as a percentage of ``rated_w``, within [0, 100] [%]."""
    if rated_w <= 0:
        raise ValueError("rated power must be positive")
    return max(0.0, min(100.0, power_w / rated_w * 100.0))
