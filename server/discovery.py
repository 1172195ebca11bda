"""Advertise the 2030.5 listener by DNS-SD so gateways on the LAN find it (IEEE 2030.5 clause 7).

``openderms server --advertise`` registers one ``_smartenergy._tcp.local.`` instance over
mDNS (RFC 6762/6763) with the TXT keys clients read: ``txtvers=1`` (first, as RFC 6763
§6.7 asks), ``dcap`` (the DeviceCapability path), ``https`` (the TLS port) and ``level``.
The SRV record carries the same TLS port: this server has no plain-HTTP listener.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zeroconf import ServiceInfo
    from zeroconf.asyncio import AsyncZeroconf

__all__ = [
    "SERVICE_TYPE",
    "Advertisement",
    "advertise",
    "publishable_addresses",
    "service_properties",
]

SERVICE_TYPE = "_smartenergy._tcp.local."
LEVEL = "-S1"
"""TXT ``level``: S1 read as the IEEE 2030.5-2018 schema (an assumption, see the report)."""


def service_properties(tls_port: int, dcap_path: str = "/dcap") -> dict[str, str]:
    """The TXT record of the service, in order (``txtvers`` first).

    Parameters
    ----------
    tls_port : int
        Port of the mutual-TLS listener.
    dcap_path : str
        Path of DeviceCapability.
    """
    if not 0 < tls_port < 65536:
        raise ValueError(f"bad TLS port {tls_port}")
    if not dcap_path.startswith("/"):
        raise ValueError(f"dcap path must start with '/': {dcap_path!r}")
    return {"txtvers": "1", "dcap": dcap_path, "https": str(tls_port), "level": LEVEL}


def publishable_addresses(host: str, machine_addresses: Sequence[str]) -> list[str]:
    """The addresses to publish for a listener bound to ``host``.

    A specific address is published as it is. A wildcard publishes the machine's
    addresses, less loopback (useless to another machine) and link-local (the A/AAAA
    record cannot carry the zone a link-local address needs); 0.0.0.0 publishes IPv4
    only, ``::`` both families (Linux dual stack).
    """
    bound = ipaddress.ip_address(host)
    if not bound.is_unspecified:
        return [str(bound)]
    published = []
    for text in machine_addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if address.is_loopback or address.is_link_local:
            continue
        if address.version == 6 and bound.version == 4:
            continue
        published.append(str(address))
    return published


def _machine_addresses() -> list[str]:
    import ifaddr  # zeroconf's own dependency for listing interfaces

    return [
        ip.ip if isinstance(ip.ip, str) else ip.ip[0]  # IPv6 comes as (address, flow, scope)
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
    ]


@dataclass
class Advertisement:
    """A registered service; :meth:`close` withdraws it (mDNS goodbye packets)."""

    zeroconf: AsyncZeroconf
    info: ServiceInfo
    closed: bool = False

    @property
    def name(self) -> str:
        """The full instance name."""
        return self.info.name

    async def close(self) -> None:
        """Unregister and close the mDNS sockets (a second call does nothing)."""
        if self.closed:
            return
        self.closed = True
        await self.zeroconf.async_unregister_all_services()
        await self.zeroconf.async_close()


async def advertise(
    host: str,
    port: int,
    *,
    instance: str | None = None,
    dcap_path: str = "/dcap",
) -> Advertisement:
    """Register the 2030.5 service for the listener at ``host:port``.

    Parameters
    ----------
    host : str
        The address the listener is bound to; a wildcard (0.0.0.0, ::) publishes every
        non-loopback address of the machine and answers on every interface, a specific
        address publishes and answers on that one only.
    port : int
        The bound TLS port [-].
    instance : str, optional
        Instance label (default ``openderms-<hostname>``); zeroconf renames on conflict.
    dcap_path : str
        Path of DeviceCapability.

    Raises
    ------
    ValueError
        No address to publish, or a bad port/path.
    """
    from zeroconf import InterfaceChoice, IPVersion, ServiceInfo
    from zeroconf.asyncio import AsyncZeroconf

    addresses = publishable_addresses(host, _machine_addresses())
    if not addresses:
        raise ValueError(f"no address to advertise for a listener on {host}")
    label = instance or f"openderms-{socket.gethostname().split('.')[0]}"
    info = ServiceInfo(
        SERVICE_TYPE,
        f"{label}.{SERVICE_TYPE}",
        port=port,
        properties=service_properties(port, dcap_path),
        server=f"{label}.local.",
        parsed_addresses=addresses,
    )
    specific = not ipaddress.ip_address(host).is_unspecified
    any_v6 = any(ipaddress.ip_address(a).version == 6 for a in addresses)
    azc = AsyncZeroconf(
        interfaces=[host] if specific else InterfaceChoice.All,
        ip_version=IPVersion.All if any_v6 else IPVersion.V4Only,
    )
    try:
        await azc.async_register_service(info, allow_name_change=True)
    except BaseException:
        await azc.async_close()
        raise
    return Advertisement(azc, info)
