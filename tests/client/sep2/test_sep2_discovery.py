"""DNS-SD discovery of a 2030.5 server (IEEE 2030.5-2018 clause 7, RFC 6763).

The pure tests check the TXT rules a client applies to a resolved instance. The
loopback tests run real mDNS: the server's advertiser and the gateway's browser are two
separate zeroconf instances (own sockets, own caches) bound to 127.0.0.1, so every answer
the browser sees crossed the loopback interface as a multicast DNS packet.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from openderms.client.config import ConfigError, load_config
from openderms.client.sep2.discovery import (
    SERVICE_TYPE,
    DiscoveryError,
    browse_dcap_url,
    browse_servers,
    browse_type,
    instance_label,
    server_from_service,
)
from openderms.server.discovery import Advertisement, advertise, service_properties

GOOD_TXT: dict[bytes, bytes | None] = {
    b"txtvers": b"1",
    b"dcap": b"/dcap",
    b"https": b"8443",
    b"level": b"-S1",
}
NAME = "head._smartenergy._tcp.local."
LOOPBACK = ["127.0.0.1"]


# -- the TXT rules (pure) -----------------------------------------------------------------


def test_conformant_record_gives_https_url_with_txt_port() -> None:
    server = server_from_service(NAME, ["192.0.2.7"], GOOD_TXT)
    assert server.dcap_url == "https://192.0.2.7:8443/dcap"
    assert server.level == "-S1"
    assert server.instance == NAME


@pytest.mark.parametrize("txtvers", [b"2", b"0", b"", None])
def test_txtvers_other_than_1_is_refused(txtvers: bytes | None) -> None:
    """Another TXT version may give the keys other meanings: ignore the instance."""
    txt = {**GOOD_TXT, b"txtvers": txtvers}
    with pytest.raises(DiscoveryError, match="txtvers"):
        server_from_service(NAME, ["192.0.2.7"], txt)


def test_txt_keys_are_case_insensitive() -> None:
    """RFC 6763 §6.4: ``TxtVers`` and ``DCAP`` are the keys ``txtvers`` and ``dcap``."""
    txt = {b"TxtVers": b"1", b"DCAP": b"/sep/dcap", b"Https": b"9443"}
    url = server_from_service(NAME, ["192.0.2.7"], txt).dcap_url
    assert url == "https://192.0.2.7:9443/sep/dcap"


def test_missing_txtvers_is_refused() -> None:
    txt = {k: v for k, v in GOOD_TXT.items() if k != b"txtvers"}
    with pytest.raises(DiscoveryError, match="txtvers"):
        server_from_service(NAME, ["192.0.2.7"], txt)


def test_server_without_https_key_is_refused_as_http_only() -> None:
    """No https key: plain HTTP on the SRV port, useless to a mutual-TLS client."""
    txt = {k: v for k, v in GOOD_TXT.items() if k != b"https"}
    with pytest.raises(DiscoveryError, match="plain HTTP"):
        server_from_service(NAME, ["192.0.2.7"], txt)


@pytest.mark.parametrize("value", [None, b""])
def test_https_key_without_value_means_port_443(value: bytes | None) -> None:
    txt = {**GOOD_TXT, b"https": value}
    assert server_from_service(NAME, ["192.0.2.7"], txt).dcap_url == "https://192.0.2.7:443/dcap"


@pytest.mark.parametrize("value", [b"https", b"0", b"70000", b"-1"])
def test_https_value_that_is_not_a_port_is_refused(value: bytes) -> None:
    with pytest.raises(DiscoveryError, match="port"):
        server_from_service(NAME, ["192.0.2.7"], {**GOOD_TXT, b"https": value})


def test_missing_dcap_path_is_refused() -> None:
    txt = {k: v for k, v in GOOD_TXT.items() if k != b"dcap"}
    with pytest.raises(DiscoveryError, match="dcap"):
        server_from_service(NAME, ["192.0.2.7"], txt)


def test_ipv4_is_preferred_and_link_local_ipv6_skipped() -> None:
    """A link-local IPv6 address needs a zone the DNS records do not carry."""
    server = server_from_service(NAME, ["fe80::1", "192.0.2.7"], GOOD_TXT)
    assert server.dcap_url == "https://192.0.2.7:8443/dcap"


def test_global_ipv6_is_bracketed_in_the_url() -> None:
    server = server_from_service(NAME, ["fe80::1", "2001:db8::5"], GOOD_TXT)
    assert server.dcap_url == "https://[2001:db8::5]:8443/dcap"


def test_instance_with_only_link_local_addresses_is_refused() -> None:
    with pytest.raises(DiscoveryError, match="no usable address"):
        server_from_service(NAME, ["fe80::1"], GOOD_TXT)


def test_subtype_browses_the_sub_name() -> None:
    """RFC 6763 §7.1: ``<subtype>._sub.<service>``."""
    assert browse_type() == SERVICE_TYPE
    assert browse_type("edev") == "edev._sub._smartenergy._tcp.local."


@pytest.mark.parametrize("bad", ["", "two.labels", "_x", "x" * 64, "sp ace"])
def test_subtype_that_is_not_one_label_is_refused(bad: str) -> None:
    with pytest.raises(DiscoveryError, match="subtype"):
        browse_type(bad)


def test_instance_label_strips_the_service_name() -> None:
    assert instance_label("Head End._smartenergy._tcp.local.") == "Head End"


def test_advertised_txt_is_read_back_as_the_same_url() -> None:
    """The server's TXT record and the client's rules agree (txtvers first, RFC 6763 §6.7)."""
    properties = service_properties(9443, "/sep2/dcap")
    assert next(iter(properties)) == "txtvers"
    txt = {k.encode(): v.encode() for k, v in properties.items()}
    url = server_from_service(NAME, ["192.0.2.9"], txt).dcap_url
    assert url == "https://192.0.2.9:9443/sep2/dcap"


# -- the gateway's configuration ------------------------------------------------------------

CONFIG = """
[server]
discovery = "dns-sd"
{extra}

[tls]
cert = "d.pem"
key = "d.key"
ca = "ca.pem"
"""


def _config(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(CONFIG.format(extra=extra), encoding="utf-8")
    return path


def test_dns_sd_config_defaults_to_five_seconds_and_no_filter(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, ""))
    assert (config.discovery_timeout_s, config.discovery_subtype) == (5.0, None)
    assert config.discovery_instance is None


def test_dns_sd_config_reads_timeout_subtype_and_instance(tmp_path: Path) -> None:
    extra = 'discovery_timeout_s = 2\ndiscovery_subtype = "edev"\ndiscovery_instance = "head"'
    config = load_config(_config(tmp_path, extra))
    assert config.discovery_timeout_s == 2.0
    assert (config.discovery_subtype, config.discovery_instance) == ("edev", "head")


@pytest.mark.parametrize(
    "extra", ["discovery_timeout_s = 0", "discovery_timeout_s = true", "discovery_subtype = 1"]
)
def test_bad_dns_sd_config_is_refused(tmp_path: Path, extra: str) -> None:
    with pytest.raises(ConfigError, match="discovery_"):
        load_config(_config(tmp_path, extra))


# -- real mDNS over loopback ----------------------------------------------------------------


def _unique(prefix: str) -> str:
    # Other test runs on this host may advertise at the same time: never collide.
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def advertised() -> AsyncIterator[Advertisement]:
    advertisement = await asyncio.wait_for(
        advertise("127.0.0.1", 8443, instance=_unique("head")), 10
    )
    try:
        yield advertisement
    finally:
        await asyncio.wait_for(advertisement.close(), 10)


async def test_gateway_finds_the_advertised_server_over_loopback_mdns(
    advertised: Advertisement,
) -> None:
    url = await asyncio.wait_for(
        browse_dcap_url(5.0, instance=instance_label(advertised.name), interfaces=LOOPBACK), 10
    )
    assert url == "https://127.0.0.1:8443/dcap"


async def test_subtype_browse_finds_only_the_subtype_instance(advertised: Advertisement) -> None:
    """The plain advertisement is running too; only the subtype's instance is found."""
    from zeroconf import ServiceInfo
    from zeroconf.asyncio import AsyncZeroconf

    subtype = _unique("t")
    azc = AsyncZeroconf(interfaces=LOOPBACK)
    name = f"{_unique('sub')}.{SERVICE_TYPE}"
    info = ServiceInfo(
        f"{subtype}._sub.{SERVICE_TYPE}",
        name,
        port=9443,
        properties=service_properties(9443),
        server=f"{instance_label(name)}.local.",
        parsed_addresses=["127.0.0.1"],
    )
    try:
        await asyncio.wait_for(azc.async_register_service(info), 10)
        found = await asyncio.wait_for(
            browse_servers(2.0, subtype=subtype, interfaces=LOOPBACK), 10
        )
    finally:
        await asyncio.wait_for(azc.async_close(), 10)
    assert [s.dcap_url for s in found] == ["https://127.0.0.1:9443/dcap"]
    assert found[0].instance == name


async def test_refused_instance_is_named_in_the_error() -> None:
    """An HTTP-only server is seen, refused, and the operator is told why."""
    from zeroconf import ServiceInfo
    from zeroconf.asyncio import AsyncZeroconf

    label = _unique("plain")
    azc = AsyncZeroconf(interfaces=LOOPBACK)
    info = ServiceInfo(
        SERVICE_TYPE,
        f"{label}.{SERVICE_TYPE}",
        port=80,
        properties={"txtvers": "1", "dcap": "/dcap", "level": "-S1"},
        server=f"{label}.local.",
        parsed_addresses=["127.0.0.1"],
    )
    try:
        await asyncio.wait_for(azc.async_register_service(info), 10)
        with pytest.raises(DiscoveryError, match=f"{label}.*plain HTTP"):
            await asyncio.wait_for(browse_dcap_url(1.5, instance=label, interfaces=LOOPBACK), 10)
    finally:
        await asyncio.wait_for(azc.async_close(), 10)


async def test_nothing_found_fails_within_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(DiscoveryError, match=r"within 0\.5 s"):
        await asyncio.wait_for(
            browse_dcap_url(0.5, subtype=_unique("none"), interfaces=LOOPBACK), 10
        )
    assert time.monotonic() - started < 3.0


async def test_closing_the_advertisement_withdraws_it_from_browsers() -> None:
    """``Advertisement.close`` sends goodbyes (TTL 0, RFC 6762 §10.1): browsers drop it now."""
    from zeroconf import ServiceStateChange, Zeroconf
    from zeroconf.asyncio import AsyncServiceBrowser, AsyncZeroconf

    advertisement = await asyncio.wait_for(
        advertise("127.0.0.1", 8443, instance=_unique("bye")), 10
    )
    changes: asyncio.Queue[ServiceStateChange] = asyncio.Queue()

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if name == advertisement.name:
            changes.put_nowait(state_change)

    azc = AsyncZeroconf(interfaces=LOOPBACK)
    browser = AsyncServiceBrowser(azc.zeroconf, [SERVICE_TYPE], handlers=[on_change])
    try:
        assert await asyncio.wait_for(changes.get(), 5) is ServiceStateChange.Added
        await asyncio.wait_for(advertisement.close(), 10)
        while (change := await asyncio.wait_for(changes.get(), 5)) is not (
            ServiceStateChange.Removed
        ):
            assert change is ServiceStateChange.Updated
    finally:
        await browser.async_cancel()
        await azc.async_close()
        await asyncio.wait_for(advertisement.close(), 10)
