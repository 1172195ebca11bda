"""The gateway's configuration file (TOML), loaded and checked at startup.

Example ``site.toml``::

    [gateway]
    name = "site-1"
    store = "gateway.sqlite"          # relative paths are relative to this file

    [server]
    dcap_url = "https://utility.example:8443/dcap"
    discovery = "static"              # or "dns-sd" (see openderms.client.sep2.discovery)
    # with "dns-sd": discovery_timeout_s = 5, discovery_subtype = "edev",
    # discovery_instance = "openderms-head" (both filters optional)

    [tls]
    cert = "device.pem"               # device certificate, its chain after it
    key = "device.key"
    ca = "serca.pem"                  # trust anchors for the server certificate
    check_hostname = true

    [registration]
    mode = "in-band"                  # or "out-of-band"
    pin = 111115                      # checked against Registration.pIN

    [notifications]
    enabled = true                    # subscribe where the server allows
    listen_host = "127.0.0.1"
    listen_port = 0                   # 0: any free port
    advertise_host = "127.0.0.1"      # host the server POSTs Notifications to

    [timing]                          # all [s]; server-set pollRate/postRate win
    poll_s = 900
    post_s = 300
    sample_s = 60
    dispatch_s = 30
    backoff_initial_s = 1
    backoff_max_s = 300
    request_timeout_s = 10
    comms_loss_timeout_s = 3600

    [fallback]                        # limits when the server is lost for comms_loss_timeout_s
    export_limit_w = 1500

    [optimizer]                       # off by default; see openderms.client.optimizer_settings
    enabled = true
    tariff = "tariff.csv"

    [[devices]]                       # handed to openderms.client.devices as they are
    name = "pv"
    map = "sunspec-inverter"          # a built-in device map, or a path to a YAML map
    host = "192.0.2.10"
    port = 502
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from openderms.client.envelope import EnvelopeLimits
from openderms.client.optimizer_settings import (
    OptimizerSettings,
    OptimizerSettingsError,
    parse_optimizer_settings,
)

__all__ = [
    "ConfigError",
    "GatewayConfig",
    "NotificationConfig",
    "TimingConfig",
    "load_config",
    "parse_config",
]


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or wrong."""


@dataclass(frozen=True, slots=True)
class TimingConfig:
    """Rates and timeouts [s]."""

    poll_s: float = 900.0
    """Poll interval until the server sets pollRate."""
    post_s: float = 300.0
    """Reading/status post interval until the server sets postRate."""
    sample_s: float = 60.0
    """How often device telemetry is read and buffered."""
    dispatch_s: float = 30.0
    """Longest time between two dispatches (keeps device revert timers fed)."""
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 300.0
    request_timeout_s: float = 10.0
    comms_loss_timeout_s: float = 3600.0
    """No server contact for this long -> fallback limits (handed to the event engine)."""


@dataclass(frozen=True, slots=True)
class NotificationConfig:
    """The gateway's own HTTPS listener for subscription Notifications."""

    enabled: bool = True
    listen_host: str = "127.0.0.1"
    listen_port: int = 0
    advertise_host: str = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Everything ``openderms client`` needs."""

    name: str
    dcap_url: str | None
    """Where DeviceCapability is; None with discovery = "dns-sd"."""
    cert_path: Path
    key_path: Path
    ca_path: Path
    store_path: Path
    check_hostname: bool = True
    """Match the server certificate's names against the host (2030.5 itself trusts the
    chain alone; turn off for servers whose certificate names no host)."""
    discovery: str = "static"
    discovery_timeout_s: float = 5.0
    """How long DNS-SD browses before giving up [s] (discovery = "dns-sd")."""
    discovery_subtype: str | None = None
    """Browse ``<subtype>._sub._smartenergy._tcp`` instead of the service."""
    discovery_instance: str | None = None
    """Accept only the DNS-SD instance of this label."""
    register_in_band: bool = True
    pin: int | None = None
    connection_point_id: str | None = None
    """The site's connection point id (CSIP-AUS ConnectionPoint: the NMI), PUT where the
    server's EndDevice links a ConnectionPoint; None = not reported."""
    notifications: NotificationConfig = field(default_factory=NotificationConfig)
    timing: TimingConfig = field(default_factory=TimingConfig)
    fallback: EnvelopeLimits = field(default_factory=EnvelopeLimits)
    devices: tuple[dict[str, Any], ...] = ()
    """Device entries, as written (``openderms.client.devices`` interprets them)."""
    optimizer: OptimizerSettings = field(default_factory=OptimizerSettings)
    """The local optimizer (``[optimizer]``); off unless ``enabled = true``."""


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


def _typed(cls: type[Any], table: dict[str, Any], section: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    unknown = set(table) - set(known)
    if unknown:
        raise ConfigError(f"[{section}]: unknown keys {sorted(unknown)}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        declared = str(known[key].type)  # annotations are strings (PEP 563)
        if declared.startswith("bool"):
            if not isinstance(value, bool):
                raise ConfigError(f"[{section}] {key} must be true or false")
        elif declared.startswith("float"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"[{section}] {key} must be a number")
            value = float(value)
            if value < 0:
                raise ConfigError(f"[{section}] {key} must not be negative")
        elif declared.startswith("int"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"[{section}] {key} must be an integer")
        elif declared.startswith("str") and not isinstance(value, str):
            raise ConfigError(f"[{section}] {key} must be a string")
        values[key] = value
    return cls(**values)


def parse_config(data: dict[str, Any], base_dir: Path) -> GatewayConfig:
    """Check a parsed TOML document and build the configuration.

    Parameters
    ----------
    data : dict
        The parsed TOML.
    base_dir : Path
        Relative paths are taken relative to this directory (the file's).
    """
    gateway = _table(data, "gateway")
    server = _table(data, "server")
    tls = _table(data, "tls")
    registration = _table(data, "registration")

    def path(table: dict[str, Any], key: str, section: str, default: str | None = None) -> Path:
        raw = table.get(key, default)
        if not isinstance(raw, str) or not raw:
            raise ConfigError(f"[{section}] {key} is required (a path)")
        return (base_dir / raw).resolve()

    discovery = server.get("discovery", "static")
    if discovery not in ("static", "dns-sd"):
        raise ConfigError('[server] discovery must be "static" or "dns-sd"')
    dcap_url = server.get("dcap_url")
    if discovery == "static" and not (isinstance(dcap_url, str) and dcap_url.startswith("http")):
        raise ConfigError("[server] dcap_url is required (an https:// URL) with static discovery")
    discovery_timeout_s = server.get("discovery_timeout_s", 5.0)
    if isinstance(discovery_timeout_s, bool) or not isinstance(discovery_timeout_s, int | float):
        raise ConfigError("[server] discovery_timeout_s must be a number")
    if not 0 < discovery_timeout_s <= 600:
        raise ConfigError("[server] discovery_timeout_s must be in (0, 600]")
    for key in ("discovery_subtype", "discovery_instance"):
        if not isinstance(server.get(key, ""), str):
            raise ConfigError(f"[server] {key} must be a string")
    mode = registration.get("mode", "in-band")
    if mode not in ("in-band", "out-of-band"):
        raise ConfigError('[registration] mode must be "in-band" or "out-of-band"')
    pin = registration.get("pin")
    if pin is not None and (isinstance(pin, bool) or not isinstance(pin, int) or pin < 0):
        raise ConfigError("[registration] pin must be a non-negative integer")
    connection_point_id = gateway.get("connection_point_id")
    if connection_point_id is not None and (
        not isinstance(connection_point_id, str) or not 0 < len(connection_point_id) <= 32
    ):
        raise ConfigError("[gateway] connection_point_id must be a string of 1 to 32 characters")
    check_hostname = tls.get("check_hostname", True)
    if not isinstance(check_hostname, bool):
        raise ConfigError("[tls] check_hostname must be true or false")
    devices = data.get("devices", [])
    if not isinstance(devices, list) or not all(isinstance(d, dict) for d in devices):
        raise ConfigError("[[devices]] must be an array of tables")
    return GatewayConfig(
        name=str(gateway.get("name", "gateway")),
        dcap_url=dcap_url if isinstance(dcap_url, str) else None,
        discovery=discovery,
        discovery_timeout_s=float(discovery_timeout_s),
        discovery_subtype=server.get("discovery_subtype"),
        discovery_instance=server.get("discovery_instance"),
        cert_path=path(tls, "cert", "tls"),
        key_path=path(tls, "key", "tls"),
        ca_path=path(tls, "ca", "tls"),
        store_path=path(gateway, "store", "gateway", "gateway.sqlite"),
        check_hostname=check_hostname,
        register_in_band=mode == "in-band",
        pin=pin,
        connection_point_id=connection_point_id,
        notifications=_typed(NotificationConfig, _table(data, "notifications"), "notifications"),
        timing=_typed(TimingConfig, _table(data, "timing"), "timing"),
        fallback=_typed(EnvelopeLimits, _table(data, "fallback"), "fallback"),
        devices=tuple(devices),
        optimizer=_optimizer(_table(data, "optimizer"), base_dir),
    )


def _optimizer(table: dict[str, Any], base_dir: Path) -> OptimizerSettings:
    try:
        return parse_optimizer_settings(table, base_dir)
    except OptimizerSettingsError as exc:
        raise ConfigError(str(exc)) from exc


def load_config(path: str | Path) -> GatewayConfig:
    """Read and check the TOML file at ``path``.

    Raises
    ------
    ConfigError
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}") from exc
    return parse_config(data, file.parent)
