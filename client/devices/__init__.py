"""The gateway's device side: SunSpec codec, Modbus links, device maps and the generic driver.

API the gateway runtime calls (everything else is internal)::

    from openderms.client.devices import Site
    site = Site.from_config({"devices": [
        {"name": "pv", "map": "sunspec-inverter", "host": "192.0.2.10", "port": 502},
        {"name": "meter", "map": "sunspec-meter", "host": "192.0.2.11", "unit_id": 2,
         "timeout_s": 1.0, "retries": 2},
        {"name": "ev", "map": "/etc/openderms/my-charger.yaml",
         "serial": {"port": "/dev/ttyUSB0", "baudrate": 19200, "parity": "E"}},
    ]})
    await site.discover()                 # per device: its SunSpec models, or the error
    telemetry = await site.read_telemetry(now)   # SiteTelemetry
    telemetry.site_power_w, telemetry.pv_power_w, telemetry.battery_power_w
    telemetry.devices["battery"].get("soc_pct"), telemetry.errors
    await site.close()

Device profiles are data: YAML maps in ``maps/`` (``sunspec-inverter``, ``sunspec-battery``,
``sunspec-meter``, ``evcharger-generic``, ``heatpump-sgready``) name SunSpec points or raw
registers for each capability (:mod:`.capabilities`); :class:`GenericDriver` executes any
map. See :mod:`.device_map` for the format. Pure parts: :mod:`.codec` (register <-> value),
:mod:`.sunspec_models` (layouts from pysunspec2's JSON), :mod:`.sunspec`, :mod:`.spans`.
Errors: :mod:`.errors`.
"""

from openderms.client.devices.device_map import DeviceMap, load_builtin_map, load_map
from openderms.client.devices.driver import GenericDriver, WriteResult
from openderms.client.devices.errors import (
    CodecError,
    DeviceError,
    DeviceIOError,
    DiscoveryError,
    MapError,
    UnsupportedCapabilityError,
    WriteVerifyError,
)
from openderms.client.devices.kinds import DeviceKind
from openderms.client.devices.site import DeviceConfig, Site
from openderms.client.devices.telemetry import DeviceTelemetry, SiteTelemetry
from openderms.client.devices.transport import ModbusLink, RtuConfig, TcpConfig

__all__ = [
    "CodecError",
    "DeviceConfig",
    "DeviceError",
    "DeviceIOError",
    "DeviceKind",
    "DeviceMap",
    "DeviceTelemetry",
    "DiscoveryError",
    "GenericDriver",
    "MapError",
    "ModbusLink",
    "RtuConfig",
    "Site",
    "SiteTelemetry",
    "TcpConfig",
    "UnsupportedCapabilityError",
    "WriteResult",
    "WriteVerifyError",
    "load_builtin_map",
    "load_map",
]
