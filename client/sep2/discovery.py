"""Finding the server: DNS-SD of ``_smartenergy._tcp`` (IEEE 2030.5-2018 "Discovery", RFC 6763).

The key rules below are as public secondary sources state the standard's Discovery
clause (§7.4/§7.5 of the 2018 edition); the IEEE text itself was not at hand.

A 2030.5 server advertises the service ``_smartenergy._tcp`` (optionally also under a
subtype, ``<subtype>._sub._smartenergy._tcp``) with TXT keys:

``txtvers``
    Version of the TXT record format; ``1``. A client ignores other versions (their
    keys may mean something else).
``dcap``
    Path of DeviceCapability, e.g. ``/dcap``.
``https``
    Present when the server speaks HTTPS: its value is the TLS port, and a key with no
    or an empty value means 443. Absent: the server offers plain HTTP only (on the SRV
    port), which a mutual-TLS client cannot use.
``level``
    Security/schema level (e.g. ``-S1``); kept for logs, not checked.
``path``
    Path of a function set's resource for subtype queries; unused (clients start at
    DeviceCapability).

The pure half (:func:`server_from_service`, :func:`dcap_url_from_service`,
:func:`browse_type`) turns a resolved instance into the DeviceCapability URL; the I/O
half (:func:`browse_dcap_url`) browses with the ``zeroconf`` package for a bounded time.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openderms.client.sep2.errors import Sep2ClientError

__all__ = [
    "SERVICE_TYPE",
    "DiscoveredServer",
    "DiscoveryError",
    "browse_dcap_url",
    "browse_servers",
    "browse_type",
    "dcap_url_from_service",
    "instance_label",
    "server_from_service",
]

SERVICE_TYPE = "_smartenergy._tcp.local."
_TYPE_PTR = 12  # RFC 1035 §3.2.2

# RFC 6763 §7.1: a subtype is one label of at most 63 bytes; 2030.5 uses function-set
# names (edev, dcap, upt, ...) and SFDI forms (edev-000000011111), letters, digits and '-'.
_SUBTYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")


class DiscoveryError(Sep2ClientError):
    """No usable server was found, or a resolved instance is not usable."""


@dataclass(frozen=True, slots=True)
class DiscoveredServer:
    """A resolved ``_smartenergy._tcp`` instance that a mutual-TLS client can use."""

    instance: str
    """Full instance name, e.g. ``openderms-host._smartenergy._tcp.local.``."""
    dcap_url: str
    """``https://host:port/path`` of DeviceCapability."""
    level: str | None
    """The TXT ``level`` value as advertised (None when absent)."""


def browse_type(subtype: str | None = None) -> str:
    """The DNS-SD name to browse: the service, or one subtype of it (RFC 6763 §7.1).

    Raises
    ------
    DiscoveryError
        ``subtype`` is not a single DNS label.
    """
    if subtype is None:
        return SERVICE_TYPE
    if not _SUBTYPE.match(subtype):
        raise DiscoveryError(f"bad DNS-SD subtype {subtype!r} (one label: letters, digits, -)")
    return f"{subtype}._sub.{SERVICE_TYPE}"


def instance_label(name: str) -> str:
    """The instance part of a full service name (``a._smartenergy._tcp.local.`` -> ``a``)."""
    suffix = "." + SERVICE_TYPE
    return name[: -len(suffix)] if name.lower().endswith(suffix) else name


def dcap_url_from_service(host: str, port: int, txt: Mapping[bytes, bytes | None]) -> str:
    """The DeviceCapability URL of a resolved ``_smartenergy._tcp`` instance.

    Parameters
    ----------
    host : str
        Address or host name of the instance.
    port : int
        The SRV port (used when the TXT record carries no ``https`` key).
    txt : mapping
        TXT record keys and values.

    Raises
    ------
    DiscoveryError
        The TXT record names no ``dcap`` path or an invalid port.
    """
    path = (txt.get(b"dcap") or b"").decode("ascii", "replace")
    if not path.startswith("/"):
        raise DiscoveryError("the service's TXT record has no dcap path")
    https = txt.get(b"https")
    try:
        tls_port = int(https) if https else port
    except ValueError:
        raise DiscoveryError(f"bad https port in TXT record: {https!r}") from None
    if not 0 < tls_port < 65536:
        raise DiscoveryError(f"bad https port {tls_port}")
    authority = f"[{host}]" if ":" in host else host
    return f"https://{authority}:{tls_port}{path}"


def _usable_address(addresses: Sequence[str]) -> str:
    """IPv4 first; IPv6 link-local needs a scope the records do not carry, so skip it."""
    parsed = []
    for text in addresses:
        try:
            parsed.append(ipaddress.ip_address(text.split("%", 1)[0]))
        except ValueError:
            continue
    for version in (4, 6):
        for address in parsed:
            if address.version == version and not address.is_link_local:
                return str(address)
    raise DiscoveryError(f"no usable address among {list(addresses)}")


def server_from_service(
    name: str, addresses: Sequence[str], txt: Mapping[bytes, bytes | None]
) -> DiscoveredServer:
    """Check a resolved instance against the TXT rules and build its DeviceCapability URL.

    Parameters
    ----------
    name : str
        Full instance name.
    addresses : sequence of str
        The instance host's addresses (A/AAAA records).
    txt : mapping
        TXT record keys (any case) and values; a key without ``=`` maps to None.

    Raises
    ------
    DiscoveryError
        ``txtvers`` is not 1, ``dcap`` is missing, there is no ``https`` key (HTTP-only
        server), the port is bad or no address is usable.
    """
    # RFC 6763 §6.4: keys are case-insensitive and the first of a repeated key wins.
    lowered: dict[bytes, bytes | None] = {}
    for key, value in txt.items():
        lowered.setdefault(key.lower(), value)
    txt = lowered
    txtvers = txt.get(b"txtvers")
    if txtvers != b"1":
        raise DiscoveryError(f"txtvers is {txtvers!r}, not 1")
    if b"https" not in txt:
        raise DiscoveryError("no https key: the server offers plain HTTP only")
    host = _usable_address(addresses)
    # A present https key without a value means the default HTTPS port.
    url = dcap_url_from_service(host, 443, txt)
    level = txt.get(b"level")
    return DiscoveredServer(
        instance=name,
        dcap_url=url,
        level=level.decode("ascii", "replace") if level else None,
    )


async def browse_dcap_url(
    timeout_s: float = 5.0,
    *,
    subtype: str | None = None,
    instance: str | None = None,
    interfaces: Sequence[str] | None = None,
) -> str:
    """Browse for a 2030.5 server by mDNS and return its DeviceCapability URL.

    The first instance that resolves and passes :func:`server_from_service` wins.

    Parameters
    ----------
    timeout_s : float
        How long to browse and resolve, all told [s].
    subtype : str, optional
        Browse ``<subtype>._sub._smartenergy._tcp.local.`` instead of the service.
    instance : str, optional
        Accept only the instance of this label (case-insensitive).
    interfaces : sequence of str, optional
        Addresses of the interfaces to use (default: all).

    Raises
    ------
    DiscoveryError
        Nothing usable was found within ``timeout_s`` (the message lists instances seen
        and why each was refused).
    """
    found = await browse_servers(
        timeout_s, subtype=subtype, instance=instance, interfaces=interfaces, first=True
    )
    return found[0].dcap_url


async def browse_servers(
    timeout_s: float,
    *,
    subtype: str | None = None,
    instance: str | None = None,
    interfaces: Sequence[str] | None = None,
    first: bool = False,
) -> list[DiscoveredServer]:
    """Every usable server seen within ``timeout_s`` [s] (or the first, with ``first``).

    Raises
    ------
    DiscoveryError
        None was found.
    """
    import asyncio

    from zeroconf import (
        InterfaceChoice,
        RecordUpdate,
        RecordUpdateListener,
        ServiceStateChange,
        Zeroconf,
    )
    from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

    type_ = browse_type(subtype)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    names: asyncio.Queue[str] = asyncio.Queue()
    refused: dict[str, str] = {}
    usable: list[DiscoveredServer] = []

    class Pointers(RecordUpdateListener):
        """Instance names from PTR records of ``type_``.

        zeroconf's browser only reports types whose labels all start with '_', so it
        stays silent for 2030.5 subtypes such as ``edev._sub._smartenergy._tcp``: the
        browser sends the queries, this listener reads the answers.
        """

        def async_update_records(
            self, zc: Zeroconf, now: float, records: list[RecordUpdate]
        ) -> None:
            for update in records:
                record = update.new
                # DNSPointer is not exported by zeroconf: read its public alias by name.
                alias = getattr(record, "alias", None)
                if (
                    record.type == _TYPE_PTR
                    and isinstance(alias, str)
                    and record.name.lower() == type_.lower()
                    and not record.is_expired(now)
                ):
                    names.put_nowait(alias)

    def ignore(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        """The browser wants a handler; names come from ``Pointers``."""

    azc = AsyncZeroconf(interfaces=list(interfaces) if interfaces else InterfaceChoice.All)
    pointers = Pointers()
    azc.zeroconf.async_add_listener(pointers, None)
    browser = AsyncServiceBrowser(azc.zeroconf, [type_], handlers=[ignore])
    try:
        while (remaining_s := deadline - loop.time()) > 0:
            try:
                name = await asyncio.wait_for(names.get(), remaining_s)
            except TimeoutError:
                break
            if name in refused or any(s.instance == name for s in usable):
                continue
            if instance is not None and instance_label(name).lower() != instance.lower():
                refused[name] = f"not the configured instance {instance!r}"
                continue
            info = AsyncServiceInfo(SERVICE_TYPE, name)
            timeout_ms = max(1, int((deadline - loop.time()) * 1000))
            if not await info.async_request(azc.zeroconf, timeout_ms):
                refused[name] = "did not resolve in time"
                continue
            try:
                server = server_from_service(name, info.parsed_addresses(), info.properties)
            except DiscoveryError as exc:
                refused[name] = str(exc)
                continue
            usable.append(server)
            if first:
                break
    finally:
        azc.zeroconf.async_remove_listener(pointers)
        await browser.async_cancel()
        await azc.async_close()
    if not usable:
        seen = "; ".join(f"{n}: {why}" for n, why in refused.items()) or "none answered"
        raise DiscoveryError(
            f"no IEEE 2030.5 server found by DNS-SD ({type_}) within {timeout_s:g} s "
            f"(instances seen: {seen}); check the LAN allows mDNS or set [server] dcap_url"
        )
    return usable
