"""Assemble a gateway from its configuration: certificates, HTTP, store, sessions, devices,
optimizer, runtime. Every part is built here and handed to the next; nothing is swapped
afterwards."""

from __future__ import annotations

import logging
import random
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.serialization import Encoding

from openderms.certs import tls
from openderms.certs.identity import DeviceIdentity, identity_from_certificate, load_certificates
from openderms.client.config import ConfigError, GatewayConfig
from openderms.client.devices import Site
from openderms.client.dispatch import Dispatcher
from openderms.client.events import SiteEvents
from openderms.client.runtime.devices_site import DevicesSite
from openderms.client.runtime.gateway import GatewayRuntime
from openderms.client.runtime.session import Session
from openderms.client.runtime.site import SiteIO
from openderms.client.sep2.discovery import browse_dcap_url
from openderms.client.sep2.http import Sep2Http, origin_of
from openderms.client.sep2.session import Sep2Session
from openderms.client.store import GatewayStore

if TYPE_CHECKING:  # the solver stack is imported only when the optimizer is on
    from openderms.client.runtime.optimizer_loop import EnvelopeSource

__all__ = ["assemble_gateway", "devices_site", "open_gateway"]

log = logging.getLogger(__name__)


async def open_gateway(
    config: GatewayConfig,
    site: SiteIO | None = None,
    *,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
    sessions: Sequence[Session] = (),
) -> GatewayRuntime:
    """Build the runtime for ``config`` (not started: call ``run()`` or ``start()``).

    Parameters
    ----------
    config : GatewayConfig
    site : SiteIO, optional
        The devices side (the runtime owns it from here on); by default built from the
        config's ``[[devices]]`` by :func:`devices_site`.
    clock : callable
        Local clock [s since epoch].
    rng : random.Random, optional
    sessions : sequence of Session
        Further protocol sessions beside 2030.5 (each feeds its own limits to the site).

    Raises
    ------
    openderms.certs.errors.CertsError, openderms.client.store.StoreError,
    openderms.client.sep2.discovery.DiscoveryError, openderms.client.devices.DeviceError,
    openderms.client.config.ConfigError
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
    site: SiteIO | None = None,
    listener_ssl: ssl.SSLContext | None = None,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
    sessions: Sequence[Session] = (),
) -> GatewayRuntime:
    """The runtime over parts already made: the 2030.5 session first (its server's clock
    is the site clock), then ``sessions``; the devices side from the config (with the
    optimizer when the config enables it) unless ``site`` is given.

    Parameters
    ----------
    config : GatewayConfig
    identity : DeviceIdentity
        LFDI/SFDI of the gateway's device certificate.
    http : Sep2Http
        The 2030.5 client (owned from here on).
    store : GatewayStore
        The local store (owned).
    site : SiteIO, optional
        The devices side (owned); by default :func:`devices_site` of the config.
    listener_ssl : ssl.SSLContext or None
        Server context of the Notification listener; None disables subscriptions.
    clock : callable
        Local clock [s since epoch].
    rng : random.Random, optional
    sessions : sequence of Session
        Further protocol sessions.

    Raises
    ------
    openderms.client.config.ConfigError
        ``site`` is given while the optimizer is enabled (it plans the devices it is built
        with).
    openderms.client.devices.DeviceError
        A ``[[devices]]`` entry is invalid.
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
    all_sessions = [sep2, *sessions]
    events = SiteEvents()
    for session in all_sessions:
        events.add(session.source, session.engine)
    if site is None:
        site = devices_site(config, events.envelope)
    elif config.optimizer.enabled:
        raise ConfigError(
            "[optimizer] plans the devices the gateway builds from [[devices]]; "
            "a devices side built elsewhere cannot be planned"
        )
    return GatewayRuntime(
        sessions=all_sessions,
        site=site,
        timing=config.timing,
        clock=clock,
        site_clock=sep2.clock_offset.server_now,
        events=events,
    )


def devices_site(config: GatewayConfig, envelope_source: EnvelopeSource) -> DevicesSite:
    """The devices of ``[[devices]]`` and their dispatcher; with ``[optimizer] enabled``,
    the dispatcher follows an :class:`~openderms.client.runtime.optimizer_loop.OptimizerLoop`
    planning inside ``envelope_source`` (the combined envelope of every source).

    Raises
    ------
    openderms.client.devices.DeviceError
        A device entry is invalid.
    """
    settings = config.optimizer
    if not settings.enabled:
        return DevicesSite.from_config(config.devices)
    site = Site.from_config({"devices": list(config.devices)})
    from openderms.client.runtime.optimizer_loop import OptimizerLoop

    loop = OptimizerLoop(settings, site, envelope_source)
    log.info(
        "optimizer on: %.0f s steps over %.0f s, re-plan every %.0f s",
        settings.step_s,
        settings.horizon_s,
        settings.replan_s,
    )
    return DevicesSite(site, Dispatcher(site, phase_limit_a=settings.phase_limit_a, targets=loop))
