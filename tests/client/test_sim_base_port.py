"""`openderms sim --base-port`: fixed ports a gateway config can name (examples/site.toml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openderms.client.config import load_config as load_gateway_config
from openderms.client.sim.cli import with_base_port
from openderms.client.sim.config import default_config

EXAMPLE_SITE = Path(__file__).resolve().parents[2] / "examples" / "site.toml"


def test_the_packaged_site_on_fixed_ports_matches_the_example_gateway_config() -> None:
    config = with_base_port(default_config(), 15020)
    ports = {d.name: d.port for d in config.devices}
    assert ports == {"pv": 15020, "battery": 15021, "meter": 15022, "ev": 15023, "heatpump": 15024}
    gateway = load_gateway_config(EXAMPLE_SITE)
    assert {d["name"]: d["port"] for d in gateway.devices} == {
        "pv": 15020,
        "battery": 15021,
        "meter": 15022,
    }


def test_a_base_port_without_room_is_refused() -> None:
    with pytest.raises(SystemExit, match="--base-port 65534"):
        with_base_port(default_config(), 65534)
