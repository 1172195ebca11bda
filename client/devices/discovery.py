"""SunSpec discovery over Modbus: find ``SunS`` and walk the model chain.

SunSpec Information Model Specification: the marker 0x53756E53 sits at base address
40000, 50000 or 0; after it, blocks of (model id, length, ... length registers) follow
until a block with id 0xFFFF.
"""

from __future__ import annotations

from openderms.client.devices.errors import DeviceIOError, DiscoveryError
from openderms.client.devices.sunspec import END_MODEL_ID, SUNS_MARKER, ModelInstance
from openderms.client.devices.transport import RegisterIO

__all__ = ["BASE_ADDRESSES", "MAX_MODELS", "discover_models"]

BASE_ADDRESSES = (40000, 50000, 0)
MAX_MODELS = 64
"""Guard against a chain that never ends (a device that answers garbage)."""


async def discover_models(
    io: RegisterIO, bases: tuple[int, ...] = BASE_ADDRESSES
) -> tuple[int, list[ModelInstance]]:
    """Find the SunSpec base address and the chain of models.

    Parameters
    ----------
    io : RegisterIO
        The device's Modbus connection.
    bases : tuple of int
        Base addresses to probe, in order.

    Returns
    -------
    (int, list of ModelInstance)
        The base address and the models in chain order (the end block excluded).

    Raises
    ------
    DiscoveryError
        No marker at any base, or a chain that runs off the address space.
    DeviceIOError
        The device does not answer (a refused read at one base only moves on to the next).
    """
    for base in bases:
        try:
            marker = await io.read(base, 2)
        except DeviceIOError as exc:
            if exc.exception_code is None:
                raise
            continue
        if tuple(marker) != SUNS_MARKER:
            continue
        models: list[ModelInstance] = []
        address = base + 2
        for _ in range(MAX_MODELS):
            model_id, length = await io.read(address, 2)
            if model_id == END_MODEL_ID:
                return base, models
            instance = ModelInstance(model_id=model_id, address=address, length=length)
            if instance.end > 0x10000:
                raise DiscoveryError(f"model {model_id} at {address} runs past 65535")
            models.append(instance)
            address = instance.end
        raise DiscoveryError(f"no end block after {MAX_MODELS} models from base {base}")
    raise DiscoveryError(f"no SunSpec marker at {', '.join(map(str, bases))}")
