"""Assemble a gateway from its configuration: certificates, HTTP, store, site, runtime."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.serialization import Encoding

from openderms.certs import tls
from openderms.certs.identity import identity_from_certificate, load_certificates
from openderms.client.config import GatewayConfig
from openderms.client.runtime.gateway import GatewayRuntime
from openderms.client.runtime.site import SiteIO
from openderms.client.sep2.discovery import browse_dcap_url
from openderms.client.sep2.http import Sep2Http, origin_of
from openderms.client.store import GatewayStore

__all__ = ["open_gateway"]


async def open_gateway(
    config: GatewayConfig,
    site: SiteIO,
    *,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
) -> GatewayRuntime:
    """Build the runtime for ``config`` (not started: call ``run()`` or ``start()``).

    Parameters
    ----------
    config : GatewayConfig
    site : SiteIO
        The devices side (the runtime owns it from here on).
    clock : callable
        Local clock [s since epoch].
    rng : random.Random, optional

    Raises
    ------
    openderms.certs.errors.CertError, openderms.client.store.StoreError,
    openderms.client.sep2.discovery.DiscoveryError
    """
    if config.dcap_url is None:
        dcap_url = await browse_dcap_url(
            config.discovery_timeout_s,
            subtype=config.discovery_subtype,
            instance=config.discovery_instance,
        )
        config = _with_dcap(config, dcap_url)
    assert config.dcap_url is not None
    leaf = load_certificates(config.cert_path)[0]
    identity = identity_from_certificate(leaf.public_bytes(Encoding.DER))
    client_ssl = tls.client_context(
        config.cert_path, config.key_path, config.ca_path, check_hostname=config.check_hostname
    )
    # The gateway serves Notifications with its own device certificate (mutual TLS).
    listener_ssl = tls.server_context(config.cert_path, config.key_path, config.ca_path)
    config.store_path.parent.mkdir(parents=True, exist_ok=True)
    store = GatewayStore.open(config.store_path)
    http = Sep2Http(
        origin_of(config.dcap_url), client_ssl, timeout_s=config.timing.request_timeout_s
    )
    return GatewayRuntime(
        config=config,
        identity=identity,
        http=http,
        store=store,
        site=site,
        listener_ssl=listener_ssl,
        clock=clock,
        rng=rng,
    )


def _with_dcap(config: GatewayConfig, dcap_url: str) -> GatewayConfig:
    from dataclasses import replace

    return replace(config, dcap_url=dcap_url)
