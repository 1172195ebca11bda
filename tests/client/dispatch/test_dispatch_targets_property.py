"""Whatever the plan wishes, the written setpoints keep the site inside the envelope.

A property test over random sites, limits and wishes: the commands of
``plan_commands(..., decision=decide_targets(...))`` are applied to a simple site model
(the battery follows its pinned setpoint, a charger draws its current limit, PV gives
what is available up to its limit, the house load is fixed) and the resulting site power
is checked against the export and import limits.
"""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from openderms.client.devices.telemetry import DeviceTelemetry, SiteTelemetry
from openderms.client.dispatch.plan import DeviceInfo, plan_commands
from openderms.client.dispatch.site_targets import SiteTargets
from openderms.client.dispatch.targets import decide_targets
from openderms.client.envelope import EnvelopeLimits

PV_RATED_W = 10000.0
BATTERY_W = 3000.0
EV_V_PHASES = 230.0 * 3
MARGIN_W = 50.0
DEVICES = [
    DeviceInfo("pv", "pv", frozenset({"active_power_w", "rated_power_w", "power_limit_pct"})),
    DeviceInfo(
        "battery", "battery", frozenset({"active_power_w", "charge_limit_w", "discharge_limit_w"})
    ),
    DeviceInfo("meter", "meter", frozenset({"active_power_w"})),
    DeviceInfo(
        "ev", "evcharger", frozenset({"active_power_w", "current_limit_a", "charge_enable"})
    ),
]
optional_limit = st.none() | st.floats(0.0, 15000.0)


@settings(max_examples=400, deadline=None)
@given(
    house_w=st.floats(0.0, 6000.0),
    pv_available_w=st.floats(0.0, PV_RATED_W),
    battery_now_w=st.floats(-BATTERY_W, BATTERY_W),
    ev_now_a=st.sampled_from([0.0, 6.0, 10.0, 16.0]),
    export_limit_w=optional_limit,
    import_limit_w=optional_limit,
    battery_wish_w=st.floats(-BATTERY_W, BATTERY_W),
    ev_wish_a=st.none() | st.floats(0.0, 16.0),
)
def test_planned_setpoints_never_leave_the_envelope(
    house_w: float,
    pv_available_w: float,
    battery_now_w: float,
    ev_now_a: float,
    export_limit_w: float | None,
    import_limit_w: float | None,
    battery_wish_w: float,
    ev_wish_a: float | None,
) -> None:
    # Arrange: a snapshot consistent with the model. Limits that leave less than the two
    # margins between import and export cannot be kept by any setpoint.
    if export_limit_w is not None and import_limit_w is not None:
        assume(export_limit_w + import_limit_w >= 2 * MARGIN_W)
    ev_now_w = ev_now_a * EV_V_PHASES
    site_w = house_w + ev_now_w - pv_available_w - battery_now_w
    telemetry = SiteTelemetry(
        now=0.0,
        devices={
            "pv": DeviceTelemetry(
                "pv", "pv", {"active_power_w": pv_available_w, "rated_power_w": PV_RATED_W}
            ),
            "battery": DeviceTelemetry(
                "battery",
                "battery",
                {
                    "active_power_w": battery_now_w,
                    "max_charge_w": BATTERY_W,
                    "max_discharge_w": BATTERY_W,
                },
            ),
            "meter": DeviceTelemetry("meter", "meter", {"active_power_w": site_w}),
            "ev": DeviceTelemetry(
                "ev", "evcharger", {"active_power_w": -ev_now_w, "max_current_a": 16.0}
            ),
        },
    )
    limits = EnvelopeLimits(export_limit_w=export_limit_w, import_limit_w=import_limit_w)
    wish = SiteTargets(
        battery_power_w=battery_wish_w,
        ev_current_a={} if ev_wish_a is None else {"ev": ev_wish_a},
    )

    # Act
    decision = decide_targets(limits, telemetry, DEVICES, wish, margin_w=MARGIN_W)
    assert decision is not None and decision.battery_power_w is not None
    plan = plan_commands(limits, telemetry, DEVICES, margin_w=MARGIN_W, decision=decision)
    written = {(c.device, c.capability): c.value for c in plan.commands}

    # Assert: the site after the writes.
    battery_w = float(written[("battery", "discharge_limit_w")])
    assert -BATTERY_W - 1e-6 <= battery_w <= BATTERY_W + 1e-6
    current_a = float(written[("ev", "current_limit_a")])
    ev_w = current_a * EV_V_PHASES if written[("ev", "charge_enable")] else 0.0
    if ev_wish_a is not None:
        assert current_a <= ev_wish_a + 1e-9
    pv_pct = float(written.get(("pv", "power_limit_pct"), 100.0))
    pv_w = min(pv_available_w, pv_pct / 100.0 * PV_RATED_W)
    after_w = house_w + ev_w - pv_w - battery_w
    if export_limit_w is not None:
        assert after_w >= -export_limit_w - 1e-6
    if import_limit_w is not None:
        # The house alone may be over the limit; then the battery gives all it can and
        # the charger nothing.
        best_w = house_w - pv_available_w - BATTERY_W
        if best_w <= import_limit_w - MARGIN_W:
            assert after_w <= import_limit_w + 1e-6
        else:
            assert battery_w == BATTERY_W and ev_w == 0.0
