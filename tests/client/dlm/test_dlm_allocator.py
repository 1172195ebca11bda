"""Dynamic load management: the site limit is never breached, whatever the readings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openderms.client.dlm import ChargerReading, DlmInputError, DlmLimits, allocate

LIMITS = DlmLimits(phase_limit_a=32.0)
TOL_A = 1e-6


def _three_phase(charger_id: str, **kwargs: object) -> ChargerReading:
    return ChargerReading(charger_id, (0, 1, 2), **kwargs)  # type: ignore[arg-type]  # test helper


def test_headroom_is_shared_equally_between_equal_chargers() -> None:
    chargers = [_three_phase("a"), _three_phase("b")]

    result = allocate(chargers, [10.0, 10.0, 10.0], LIMITS)

    # 22 A of headroom per phase, two chargers of at most 16 A: 11 A each.
    assert result.current_a == pytest.approx({"a": 11.0, "b": 11.0})
    assert max(result.phase_current_a) == pytest.approx(32.0)


def test_charger_below_minimum_is_paused_not_starved() -> None:
    chargers = [_three_phase("a", priority=0), _three_phase("b", priority=1)]

    # 8 A of headroom: one charger at 8 A beats two at 4 A, which neither could use.
    result = allocate(chargers, [24.0, 24.0, 24.0], LIMITS)

    assert result.current_a == pytest.approx({"a": 8.0, "b": 0.0})


def test_higher_priority_is_filled_first() -> None:
    chargers = [_three_phase("low", priority=2), _three_phase("high", priority=0)]

    result = allocate(chargers, [10.0, 10.0, 10.0], LIMITS)

    assert result.current_a == pytest.approx({"high": 16.0, "low": 6.0})


def test_measured_charger_current_is_not_counted_twice() -> None:
    # The meter's 30 A include 16 A the charger draws now: 14 A of other load.
    chargers = [_three_phase("a", measured_current_a=16.0)]

    result = allocate(chargers, [30.0, 30.0, 30.0], LIMITS)

    assert result.current_a["a"] == pytest.approx(16.0)


def test_plan_target_caps_the_charger() -> None:
    chargers = [_three_phase("a", target_current_a=7.5)]

    result = allocate(chargers, [0.0, 0.0, 0.0], LIMITS)

    assert result.current_a["a"] == pytest.approx(7.5)


def test_plan_target_below_minimum_means_off() -> None:
    chargers = [_three_phase("a", target_current_a=3.0)]

    result = allocate(chargers, [0.0, 0.0, 0.0], LIMITS)

    assert result.current_a["a"] == 0.0


def test_single_phase_chargers_use_other_phases_when_one_is_full() -> None:
    chargers = [ChargerReading("l1", (0,)), ChargerReading("l2", (1,), max_current_a=32.0)]

    result = allocate(chargers, [25.0, 5.0, 5.0], LIMITS)

    assert result.current_a == pytest.approx({"l1": 7.0, "l2": 27.0})


def test_import_power_limit_binds_before_the_fuse() -> None:
    limits = DlmLimits(phase_limit_a=63.0, import_limit_w=3 * 230.0 * 20.0)
    chargers = [_three_phase("a"), _three_phase("b")]

    result = allocate(chargers, [10.0, 10.0, 10.0], limits)

    assert sum(result.current_a.values()) == pytest.approx(10.0)


def test_unbalance_rule_holds_back_single_phase_charging() -> None:
    limits = DlmLimits(phase_limit_a=63.0, max_unbalance_a=16.0)
    chargers = [ChargerReading("l1", (0,), max_current_a=32.0)]

    result = allocate(chargers, [5.0, 5.0, 5.0], limits)

    assert result.current_a["l1"] == pytest.approx(16.0)


def test_overloaded_site_pauses_every_charger() -> None:
    chargers = [_three_phase("a", measured_current_a=10.0)]

    result = allocate(chargers, [50.0, 20.0, 20.0], LIMITS)

    assert result.base_overloaded and result.current_a == {"a": 0.0}


def test_meter_needs_three_phases() -> None:
    with pytest.raises(DlmInputError):
        allocate([], [1.0, 2.0], LIMITS)


charger_strategy = st.builds(
    ChargerReading,
    charger_id=st.uuids().map(str),
    phases=st.sampled_from([(0,), (1,), (2,), (0, 1, 2), (0, 1)]),
    min_current_a=st.floats(0.0, 10.0),
    max_current_a=st.floats(10.0, 32.0),
    measured_current_a=st.floats(-5.0, 40.0),
    wants_energy=st.booleans(),
    priority=st.integers(0, 3),
    target_current_a=st.one_of(st.none(), st.floats(0.0, 40.0)),
    charging=st.booleans(),
)
limits_strategy = st.builds(
    DlmLimits,
    phase_limit_a=st.floats(0.0, 100.0),
    import_limit_w=st.one_of(st.none(), st.floats(0.0, 60_000.0)),
    margin_a=st.floats(0.0, 5.0),
    max_unbalance_a=st.one_of(st.none(), st.floats(0.0, 32.0)),
)


@settings(max_examples=200, deadline=None)
@given(
    chargers=st.lists(charger_strategy, max_size=12, unique_by=lambda c: c.charger_id),
    meter=st.lists(st.floats(-100.0, 150.0), min_size=3, max_size=3),
    limits=limits_strategy,
)
def test_allocation_never_exceeds_the_limit(
    chargers: list[ChargerReading], meter: list[float], limits: DlmLimits
) -> None:
    result = allocate(chargers, meter, limits)

    uses = {c.charger_id: c.phases for c in chargers}
    base = np.array(meter, dtype=float)
    for charger in chargers:
        base[list(charger.phases)] -= max(charger.measured_current_a, 0.0)
    after = base.copy()
    for charger_id, current in result.current_a.items():
        after[list(uses[charger_id])] += current
    if result.base_overloaded:
        assert all(a == 0.0 for a in result.current_a.values())
        return
    assert after.max() <= limits.phase_limit_a - limits.margin_a + TOL_A
    if limits.import_limit_w is not None:
        assert after.sum() * limits.voltage_v <= limits.import_limit_w + TOL_A * 3 * 230
    if limits.max_unbalance_a is not None:
        allowed = max(limits.max_unbalance_a, base.max() - base.min())
        assert after.max() - after.min() <= allowed + TOL_A
    for charger in chargers:
        current = result.current_a[charger.charger_id]
        cap = charger.max_current_a
        if charger.target_current_a is not None:
            cap = min(cap, charger.target_current_a)
        assert current == 0.0 or charger.min_current_a - TOL_A <= current <= cap + TOL_A
        if not charger.wants_energy:
            assert current == 0.0
