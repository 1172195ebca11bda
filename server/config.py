"""Typed settings of `openderms server`, read from a TOML file and the command line."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openderms.server.errors import ServerError

__all__ = [
    "AGGREGATOR_REGISTRATION_POLICIES",
    "ConfigError",
    "ServerSettings",
    "load_settings",
    "parse_host_port",
]


class ConfigError(ServerError):
    """The configuration file or an option is invalid."""


#: Values of `ServerSettings.aggregator_registration`.
AGGREGATOR_REGISTRATION_POLICIES = ("assigned", "open")


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Everything the head-end needs besides the database and the PKI.

    Attributes
    ----------
    listen : str
        ``HOST:PORT`` of the 2030.5 listener (mutual TLS).
    admin_listen : str or None
        ``HOST:PORT`` of the admin API listener; None = no admin listener.
    db_url : str
        SQLite path/URL or ``postgresql://...``.
    db_timeout_s : float
        The longest one database call may take (connect, statement, pool checkout, lock
        wait) before the request is answered 503 [s].
    certs_dir : Path or None
        A PKI made by ``openderms certs init``.
    poll_rate_s : int
        Default pollRate [s] (2030.5 default 900).
    post_rate_s : int
        Default postRate for EndDevice and MirrorUsagePoint [s].
    tz_offset_s, dst_offset_s, dst_start_time, dst_end_time : int
        Reported in the Time resource [s].
    time_quality : int
        Time.quality: 3 = external authoritative source (NTP), 4 = level 3, 7 = uncertain.
    allow_in_band_registration : bool
        Let a device with a valid certificate register itself by POSTing its EndDevice.
    aggregator_registration : str
        What an aggregator certificate may register in band: ``"assigned"`` (default) only
        devices the utility registered under that aggregator; ``"open"`` also LFDIs that
        nobody registered yet (the utility can still reclaim them, see the admin API's
        ``reassignDevice``).
    max_body_bytes : int
        Largest request body accepted before parsing [bytes].
    max_readings_per_post : int
        Most Readings in one POST of a mirror (413 beyond).
    device_writes_per_s, device_write_burst : float, int
        Per device certificate: POST/PUT requests earned per second after a burst of
        `device_write_burst` (429 with Retry-After beyond; 0 per second = no limit).
        Aggregator certificates are not limited.
    page_limit_max : int
        Largest ``l`` honoured on a list.
    list_limit_default : int
        ``l`` when the client sends none (2030.5 says 1).
    control_retention_s : int
        How long a cancelled or superseded DERControl stays listed after its original end
        [s]; a control that ran to its end leaves the list at its end (its row stays as
        history for the dashboard and reports).
    poll_cache_entries : int
        DERControlLists kept encoded per process (validated on every poll); 0 = off.
    device_program_primacy : int
        Primacy of the private program made when a control targets a single device.
    admin_token_lifetime_s : int
        Admin tokens stop working this long after they were issued [s]; 0 (the default,
        so tokens already handed out keep working) = until revoked.
    tls_handshake_timeout_s : float
        A TLS handshake not finished by then is dropped, on every listener [s].
    max_pending_handshakes : int
        TLS handshakes in progress at once per listener; more connections are closed.
    max_pending_handshakes_per_address : int
        TLS handshakes in progress at once from one peer address, per listener.
    tls_terminated_by_proxy : bool
        Serve 2030.5 as plain HTTP behind a TLS-terminating proxy; identities then come
        only from the certificate header of `trusted_proxies`.
    trusted_proxies : tuple of str
        Addresses of TLS-terminating proxies whose client-certificate header is believed.
    client_cert_header : str
        The header that carries the URL-encoded PEM certificate from a trusted proxy.
    openadr_listen : str or None
        ``HOST:PORT`` of the OpenADR 3.1 VTN (HTTPS with the server certificate of
        ``certs_dir``; plain HTTP only on loopback without one); None = no VTN.
    openadr_mqtt_url : str or None
        ``mqtt://HOST:PORT`` of the broker the VTN publishes notifications on; None = webhooks
        only.
    openadr_allow_http_callbacks, openadr_allow_private_callbacks : bool
        Let webhook subscriptions use http:// URLs / loopback and private addresses.
    openadr_callback_ca_file : str or None
        Trust anchors for webhook TLS instead of the system store.
    profile : str
        The profile served: ``csipaus12`` (CSIP-AUS v1.2, the default) or ``csip`` (CSIP
        (US): the same resources without the CSIP-AUS links, plain 2030.5-2018 on the wire
        unless a utility sets CSIP-AUS limits).
    accepted_profiles : tuple of str
        Profiles a client may write in besides CSIP-AUS v1.2 (the server's own): ``csip``
        (CSIP (US), plain 2030.5-2018), ``sep2023`` (IEEE 2030.5-2023), ``csipaus13``;
        ``()`` accepts CSIP-AUS v1.2 documents only.
    mrid_pen : int
        The IANA Private Enterprise Number in the low 32 bits of every mRID this server
        issues (sep.xsd mRIDType); 0 (reserved) until the operator sets theirs.
    """

    listen: str = "0.0.0.0:8443"
    admin_listen: str | None = None
    db_url: str = "openderms-server.db"
    db_timeout_s: float = 10.0
    certs_dir: Path | None = None
    poll_rate_s: int = 900
    post_rate_s: int = 300
    tz_offset_s: int = 0
    dst_offset_s: int = 0
    dst_start_time: int = 0
    dst_end_time: int = 0
    time_quality: int = 4
    allow_in_band_registration: bool = True
    aggregator_registration: str = "assigned"
    max_body_bytes: int = 256 * 1024
    max_readings_per_post: int = 1000
    device_writes_per_s: float = 2.0
    device_write_burst: int = 100
    page_limit_max: int = 500
    list_limit_default: int = 1
    control_retention_s: int = 0
    poll_cache_entries: int = 20_000
    device_program_primacy: int = 0
    admin_token_lifetime_s: int = 0
    tls_handshake_timeout_s: float = 10.0
    max_pending_handshakes: int = 512
    max_pending_handshakes_per_address: int = 32
    tls_terminated_by_proxy: bool = False
    trusted_proxies: tuple[str, ...] = ()
    client_cert_header: str = "X-SSL-Client-Cert"
    openadr_listen: str | None = None
    openadr_mqtt_url: str | None = None
    openadr_allow_http_callbacks: bool = False
    openadr_allow_private_callbacks: bool = False
    openadr_callback_ca_file: str | None = None
    profile: str = "csipaus12"
    accepted_profiles: tuple[str, ...] = ("csip", "sep2023")
    mrid_pen: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.aggregator_registration not in AGGREGATOR_REGISTRATION_POLICIES:
            raise ConfigError(
                f"aggregator_registration is one of {AGGREGATOR_REGISTRATION_POLICIES}, "
                f"got {self.aggregator_registration!r}"
            )
        if self.profile not in ("csipaus12", "csip"):
            raise ConfigError(f"profile is csipaus12 or csip, got {self.profile!r}")
        known = {"csip", "sep2023", "csipaus12", "csipaus13"}
        if not set(self.accepted_profiles) <= known:
            raise ConfigError(f"accepted_profiles are among {sorted(known)}")
        if not 0 <= self.mrid_pen < 2**32:
            raise ConfigError(f"mrid_pen is a 32-bit PEN, got {self.mrid_pen}")

    def replace(self, **changes: Any) -> ServerSettings:
        """A copy with `changes` applied (None values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def parse_host_port(value: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` (``[::1]:8443`` for IPv6)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104


def load_settings(path: Path | None) -> ServerSettings:
    """Read settings from a TOML file (top level or a ``[server]`` table).

    Unknown keys go to ``extra`` (other parts, e.g. the admin API, read theirs there).
    """
    if path is None:
        return ServerSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    table: dict[str, Any] = data.get("server", data)
    known = {f.name for f in dataclasses.fields(ServerSettings)} - {"extra"}
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in table.items():
        if key in known:
            values[key] = value
        else:
            extra[key] = value
    if "certs_dir" in values:
        values["certs_dir"] = Path(values["certs_dir"])
    if "trusted_proxies" in values:
        values["trusted_proxies"] = tuple(values["trusted_proxies"])
    if "accepted_profiles" in values:
        values["accepted_profiles"] = tuple(values["accepted_profiles"])
    try:
        return ServerSettings(**values, extra=extra)
    except TypeError as exc:
        raise ConfigError(str(exc)) from exc
