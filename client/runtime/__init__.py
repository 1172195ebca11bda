"""The asyncio side of the gateway: the one place that reads the clock.

:class:`~openderms.client.runtime.gateway.GatewayRuntime` drives the 2030.5 client, the
event engine and the dispatcher; :mod:`~openderms.client.runtime.listener` receives
subscription Notifications over mutual TLS.
"""
