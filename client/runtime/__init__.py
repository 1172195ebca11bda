"""The asyncio side of the gateway: the one place that reads the clock.

:class:`~openderms.client.runtime.gateway.GatewayRuntime` drives any number of protocol
sessions (:mod:`~openderms.client.runtime.session`; the 2030.5 one is
:class:`openderms.client.sep2.session.Sep2Session`), combines their limits and dispatches
them to the devices; :mod:`~openderms.client.runtime.app` assembles it from the config;
:mod:`~openderms.client.runtime.listener` receives subscription Notifications over mutual
TLS.
"""
