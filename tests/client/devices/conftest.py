"""Shared helpers for device tests: a simulated site on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from openderms.client.sim import RunningSite, parse_config, start_site

NOON = 12 * 3600.0
"""A simulation time at solar noon (UTC, the default site's offset) [s]."""

ALL_DEVICES = {
    "site": {"house_base_w": 400.0, "house_evening_peak_w": 0.0},
    "device": [
        {"name": "pv", "type": "inverter", "rated_w": 10000.0, "peak_w": 9500.0},
        {"name": "battery", "type": "battery", "soc_pct": 50.0},
        {"name": "meter", "type": "meter"},
        {"name": "ev", "type": "evcharger"},
        {"name": "heatpump", "type": "heatpump"},
    ],
}


@pytest.fixture
async def sim_site() -> AsyncIterator[RunningSite]:
    async with start_site(parse_config(ALL_DEVICES), start=NOON) as site:
        yield site
