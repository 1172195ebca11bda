"""Assemble a gateway from its configuration: certificates, HTTP, store, sessions, runtime."""

from __future__ import annotations

import random
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from cryptography.hazmat.primitives.serialization import Encoding

from openderms.certs import tls
from openderms.certs.identity import DeviceIdentity, identity_from_certificate, load_certificates
from openderms.client.config import GatewayConfig
from openderms.client.runtime.gateway import GatewayRuntime
from openderms.client.runtime.session import Session
from openderms.client.runtime.site import SiteIO
from openderms.client.sep2.discovery import browse_dcap_url
from openderms.client.sep2.http import Sep2Http, origin_of
from openderms.client.sep2.session import Sep2Session
from openderms.client.store import GatewayStore

__all__ = ["assemble_gateway", "open_gateway"]


async def open_gateway(
    config: GatewayConfig,
    site: SiteIO,
    *,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
    sessions: Sequence[Session] = (),
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
    sessions : sequence of Session
        Further protocol sessions beside 2030.5 (each feeds its own limits to the site).

    Raises
    ------
    openderms.certs.errors.CertsError, openderms.client.store.StoreError,
    openderms.client.sep2.discovery.DiscoveryError
    """
    if config.dcap_url is None:
        dcap_url = await browse_dcap_url(
            config.discovery_timeout_s,
            subtype=config.discovery_subtype,
            instance=config.discovery_instance,
        )
        config = replace(config, dcap_url=dcap_url)
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
    return assemble_gateway(
        config=config,
        identity=identity,
        http=http,
        store=store,
        site=site,
        listener_ssl=listener_ssl,
        clock=clock,
        rng=rng,
        sessions=sessions,
    )


def assemble_gateway(
    *,
    config: GatewayConfig,
    identity: DeviceIdentity,
    http: Sep2Http,
    store: GatewayStore,
    site: SiteIO,
    listener_ssl: ssl.SSLContext | None = None,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
    sessions: Sequence[Session] = (),
) -> GatewayRuntime:
    """The runtime over parts already made: the 2030.5 session first (its server's clock
    is the site clock), then ``sessions``, and the optimizer when the config enables it.

    Parameters
    ----------
    config : GatewayConfig
    identity : DeviceIdentity
        LFDI/SFDI of the gateway's device certificate.
    http : Sep2Http
        The 2030.5 client (owned from here on).
    store : GatewayStore
        The local store (owned).
    site : SiteIO
        The devices side (owned).
    listener_ssl : ssl.SSLContext or None
        Server context of the Notification listener; None disables subscriptions.
    clock : callable
        Local clock [s since epoch].
    rng : random.Random, optional
    sessions : sequence of Session
        Further protocol sessions.
    """
    sep2 = Sep2Session(
        config=config,
        identity=identity,
        http=http,
        store=store,
        listener_ssl=listener_ssl,
        clock=clock,
        rng=rng,
    )
    runtime = GatewayRuntime(
        sessions=[sep2, *sessions],
        site=site,
        timing=config.timing,
        clock=clock,
        site_clock=sep2.clock_offset.server_now,
    )
    if config.optimizer.enabled:
        from openderms.client.runtime.optimizer_loop import attach_optimizer

        attach_optimizer(site, config.optimizer, runtime.events.envelope)
    return runtime
