"""Site-limit arithmetic: how much PV, charging and load the envelope leaves room for. Pure.

Conventions are the envelope's (:mod:`openderms.client.envelope`): site power is measured
at the connection point, positive importing [W]; DER power is positive generating
(discharging) [W]; limits are non-negative magnitudes [W]. These hold without an optimizer:
the dispatcher applies them on every cycle from the latest meter reading.
"""

from __future__ import annotations

__all__ = ["charge_limit_w", "pv_limit_w", "split_by_rating", "to_percent"]


def pv_limit_w(
    export_limit_w: float | None,
    site_power_w: float,
    pv_power_w: float,
    battery_headroom_w: float = 0.0,
    generation_limit_w: float | None = None,
    battery_discharge_w: float = 0.0,
    pv_rated_w: float | None = None,
    max_generation_pct: float | None = None,
    margin_w: float = 0.0,
) -> float | None:
    """Largest PV output that keeps the site inside its export and generation limits [W].

    The site without PV imports ``site_power_w + pv_power_w``; PV may cover that, plus
    what the export limit allows, plus what the battery can still absorb. With a full
    battery (``battery_headroom_w = 0``) the surplus over the export limit is curtailed.

    Parameters
    ----------
    export_limit_w : float or None
        Maximum export at the connection point [W] (CSIP-AUS opModExpLimW); None: no limit.
    site_power_w : float
        Measured site power, positive importing [W].
    pv_power_w : float
        Measured PV output at the same instant [W].
    battery_headroom_w : float
        Extra charging power the battery can take on top of its present power [W].
    generation_limit_w : float or None
        Maximum generation of the controlled DER [W] (CSIP-AUS opModGenLimW); battery
        discharge counts against it.
    battery_discharge_w : float
        Present battery discharge [W]; charging counts as zero here.
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
        site_without_pv_w = site_power_w + pv_power_w
        bounds.append(export_limit_w + site_without_pv_w + max(0.0, battery_headroom_w) - margin_w)
    if generation_limit_w is not None:
        bounds.append(generation_limit_w - max(0.0, battery_discharge_w) - margin_w)
    if max_generation_pct is not None and pv_rated_w is not None:
        bounds.append(pv_rated_w * max_generation_pct / 100.0)
    if not bounds:
        return None
    limit = max(0.0, min(bounds))
    return min(limit, pv_rated_w) if pv_rated_w is not None else limit


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
