"""Finding the server: DNS-SD of ``_smartenergy._tcp`` (IEEE 2030.5-2018 §6.1, RFC 6763).

A 2030.5 server advertises the service ``_smartenergy._tcp`` with TXT keys ``dcap`` (the
path of DeviceCapability), ``https`` (the TLS port) and ``level``. Turning a resolved
service into the DeviceCapability URL is pure (:func:`dcap_url_from_service`); the
browse itself needs an mDNS implementation.

The seam: :func:`browse_dcap_url` is where an mDNS browser plugs in; it is not written
yet and raises :class:`DiscoveryError` saying so. The project does not depend on an mDNS
package: utilities provision gateways with ``dcap_url`` (CSIP), and LAN discovery matters
for home-area deployments only.
"""

from __future__ import annotations

from collections.abc import Mapping

from openderms.client.sep2.errors import Sep2ClientError

__all__ = ["SERVICE_TYPE", "DiscoveryError", "browse_dcap_url", "dcap_url_from_service"]

SERVICE_TYPE = "_smartenergy._tcp.local."


class DiscoveryError(Sep2ClientError):
    """No server was found, or discovery is not available."""


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


async def browse_dcap_url(timeout_s: float = 5.0) -> str:
    """Browse for a 2030.5 server and return its DeviceCapability URL.

    Not implemented yet: the seam for an mDNS browser. An implementation browses
    :data:`SERVICE_TYPE` for ``timeout_s``, resolves the first instance and returns
    :func:`dcap_url_from_service` of it.

    Raises
    ------
    DiscoveryError
        Always, for now, saying what to configure instead.
    """
    raise DiscoveryError(
        'discovery = "dns-sd" is not implemented yet (it needs an mDNS browser such as the '
        "zeroconf package); set [server] dcap_url instead"
    )
