"""Simulated site devices over real Modbus TCP or RTU, for tests, the demo and `openderms sim`.

::

    from openderms.client.sim import default_config, start_site
    async with start_site(default_config(), start=now) as site:
        site.endpoints["pv"].port          # each device on its own loopback port
        Site.from_config(site.gateway_config())   # a gateway Site pointed at them
        site.step(now + 1)                 # physics moves only when stepped

The physics (:mod:`.devices`, :mod:`.site`, :mod:`.physics`) is pure with time passed in;
:mod:`.server` is the pymodbus adapter and :mod:`.runtime` the only wall-clock user.
"""

from openderms.client.sim.config import (
    SimBusConfig,
    SimConfig,
    SimDeviceConfig,
    default_config,
    load_config,
    parse_config,
)
from openderms.client.sim.server import Endpoint, RunningSite, SimRtuBus, SimServer, start_site
from openderms.client.sim.site import SimSite, SiteState

__all__ = [
    "Endpoint",
    "RunningSite",
    "SimBusConfig",
    "SimConfig",
    "SimDeviceConfig",
    "SimRtuBus",
    "SimServer",
    "SimSite",
    "SiteState",
    "default_config",
    "load_config",
    "parse_config",
    "start_site",
]
