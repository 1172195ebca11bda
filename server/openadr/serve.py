"""The VTN as `openderms server` runs it: the app and its delivery worker from settings."""

from __future__ import annotations

import asyncio

from quart import Quart

from openderms.server.config import ServerSettings
from openderms.server.openadr.app import OpenAdrSettings, create_openadr_app
from openderms.server.openadr.callbacks import CallbackPolicy
from openderms.server.openadr.delivery import OpenAdrDelivery
from openderms.server.store.db import Store

__all__ = ["openadr_listener", "openadr_settings"]


def openadr_settings(settings: ServerSettings) -> OpenAdrSettings:
    return OpenAdrSettings(
        mqtt_url=settings.openadr_mqtt_url,
        callbacks=CallbackPolicy(
            allow_http=settings.openadr_allow_http_callbacks,
            allow_private=settings.openadr_allow_private_callbacks,
        ),
        max_body_bytes=settings.max_body_bytes,
    )


def openadr_listener(
    store: Store, settings: ServerSettings, loop: asyncio.AbstractEventLoop
) -> tuple[Quart, OpenAdrDelivery]:
    """The VTN app and the worker that delivers its notifications (run it beside)."""
    vtn_settings = openadr_settings(settings)
    delivery = OpenAdrDelivery(
        store,
        mqtt_url=settings.openadr_mqtt_url,
        callbacks=vtn_settings.callbacks,
        ca_file=settings.openadr_callback_ca_file,
    )

    def wake() -> None:
        # Writes may commit in worker threads (PostgreSQL): wake through the loop.
        loop.call_soon_threadsafe(delivery.wake)

    return create_openadr_app(store, vtn_settings, on_change=wake), delivery
