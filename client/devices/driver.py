"""The one generic driver: executes a :class:`DeviceMap` over a Modbus connection.

Per poll it reads each SunSpec model it needs once (chunked to 125 registers) and decodes
every capability from that snapshot. A write puts the revert timer first (so the device is
never left with a limit that cannot expire), then the value, then the enable, and reads the
value back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from openderms.client.devices.capabilities import CAPABILITIES
from openderms.client.devices.device_map import (
    DeviceMap,
    RegisterTarget,
    Source,
    SunSpecTarget,
    Target,
)
from openderms.client.devices.discovery import discover_models
from openderms.client.devices.errors import (
    CodecError,
    DeviceIOError,
    DiscoveryError,
    UnsupportedCapabilityError,
    WriteVerifyError,
)
from openderms.client.devices.sunspec import ModelBlock, ModelInstance
from openderms.client.devices.telemetry import CapabilityValue
from openderms.client.devices.transport import RegisterIO

__all__ = ["CapabilityValue", "GenericDriver", "WriteResult"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one capability write did."""

    capability: str
    requested: float | bool | int
    readback: CapabilityValue
    revert_timer_s: float | None
    """Revert time written [s]; None when the source has no revert timer."""
    source: str
    """The register or point written."""


class GenericDriver:
    """A device described by a map, reached through ``io``."""

    def __init__(self, device_map: DeviceMap, io: RegisterIO, name: str = "") -> None:
        self.map = device_map
        self.io = io
        self.name = name or device_map.name
        self.models: dict[int, ModelInstance] = {}
        self.discovered = False

    # -- discovery and source choice ------------------------------------------------------

    async def discover(self) -> list[ModelInstance]:
        """Walk the SunSpec chain if the map needs SunSpec; remembers the first instance of
        each model."""
        self.models = {}
        chain: list[ModelInstance] = []
        if self.map.uses_sunspec:
            _, chain = await discover_models(self.io)
            for instance in chain:
                self.models.setdefault(instance.model_id, instance)
        self.discovered = True
        return chain

    def source(self, capability: str) -> Source:
        """The first source of ``capability`` the device can serve.

        Raises
        ------
        UnsupportedCapabilityError
            The map lacks the capability or the device lacks every model it names.
        """
        for source in self.map.capabilities.get(capability, ()):
            if source.models <= self.models.keys():
                return source
        raise UnsupportedCapabilityError(f"{self.name}: no source for {capability}")

    def sources(self, capability: str) -> list[Source]:
        """Every source of ``capability`` the device's models allow, in map order."""
        return [
            s for s in self.map.capabilities.get(capability, ()) if s.models <= self.models.keys()
        ]

    def supports(self, capability: str) -> bool:
        try:
            self.source(capability)
        except UnsupportedCapabilityError:
            return False
        return True

    @property
    def capabilities(self) -> list[str]:
        return [c for c in self.map.capabilities if self.supports(c)]

    # -- reading ----------------------------------------------------------------------------

    async def _read_block(self, model_id: int) -> ModelBlock:
        instance = self.models[model_id]
        try:
            registers = await self.io.read(instance.address, instance.length + 2)
        except DeviceIOError as exc:
            if exc.exception_code != 2:  # not "illegal data address": the link failed
                raise
            registers = []
        if registers[:2] != [model_id, instance.length]:
            # The map moved (firmware update, device swapped): never read or write by the
            # old addresses; discover again on the next call.
            self.discovered = False
            self.models = {}
            raise DiscoveryError(
                f"{self.name}: model {model_id} is no longer at {instance.address}"
            )
        return ModelBlock(instance, registers)

    async def _read_target(self, target: Target, blocks: dict[int, ModelBlock]) -> float | None:
        if isinstance(target, SunSpecTarget):
            if target.model_id not in blocks:
                blocks[target.model_id] = await self._read_block(target.model_id)
            value = blocks[target.model_id].get(target.path)
            if isinstance(value, str):
                raise CodecError(f"{self.name}: {target} is a string")
            return None if value is None else float(value)
        return target.decode(await self.io.read(target.address, target.size, target.table))

    async def read(self, capabilities: Iterable[str] | None = None) -> dict[str, CapabilityValue]:
        """Read capabilities (all readable ones the device supports by default).

        A source whose point the device leaves unimplemented falls through to the next one
        (a 701 that does not fill ``W`` is read from 103). Controls written as a percentage
        (``pct_of``) read back in their own unit.

        Raises
        ------
        DeviceIOError
            The device did not answer.
        """
        if not self.discovered:
            await self.discover()
        names = list(capabilities) if capabilities is not None else self.capabilities
        blocks: dict[int, ModelBlock] = {}
        out: dict[str, CapabilityValue] = {}
        for name in names:
            out[name] = await self._read_one(name, blocks, out)
        return out

    async def _read_one(
        self, name: str, blocks: dict[int, ModelBlock], known: dict[str, CapabilityValue]
    ) -> CapabilityValue:
        for source in self.sources(name) or [self.source(name)]:
            raw = None
            if source.target is not None:
                raw = await self._read_target(source.target, blocks)
            result = source.to_capability(name, raw)
            if source.pct_of and isinstance(result, float):
                if source.pct_of not in known:
                    known[source.pct_of] = await self._read_one(source.pct_of, blocks, known)
                base = known[source.pct_of]
                result = result * base / 100.0 if isinstance(base, float) else None
            if result is not None:
                return result
        return None

    async def identity(self) -> dict[str, str | None]:
        """Manufacturer, model, options, version and serial from SunSpec model 1.

        Returns an empty mapping for a device without model 1 (a plain register map).
        """
        if not self.discovered:
            await self.discover()
        if 1 not in self.models:
            return {}
        block = await self._read_block(1)
        names = {"Mn": "manufacturer", "Md": "model", "Opt": "options", "Vr": "version"}
        names["SN"] = "serial_number"
        out: dict[str, str | None] = {}
        for point, key in names.items():
            value = block.get(point) if point in block.layout.slots else None
            out[key] = value if isinstance(value, str) else None
        return out

    # -- writing ----------------------------------------------------------------------------

    async def _write_target(self, target: Target, value: float, block: ModelBlock | None) -> None:
        if isinstance(target, SunSpecTarget):
            if block is None:
                block = await self._read_block(target.model_id)
            offset, words = block.encode(target.path, value)
            await self.io.write(block.instance.address + offset, words)
            block.registers[offset : offset + len(words)] = words
            return
        await self.io.write(target.address, target.encode(value))

    async def _enable(self, source: Source, blocks: dict[int, ModelBlock]) -> None:
        for enable in source.enable:
            value = enable.value
            if enable.bits is not None:
                current = await self._read_target(enable.target, blocks)
                value = (0 if current is None else int(current)) | enable.bits
            assert value is not None  # validated in maps: value or bits
            block = self._block_for(enable.target, blocks)
            await self._write_target(enable.target, value, block)

    @staticmethod
    def _block_for(target: Target, blocks: dict[int, ModelBlock]) -> ModelBlock | None:
        return blocks.get(target.model_id) if isinstance(target, SunSpecTarget) else None

    async def write(
        self, capability: str, value: float | bool | int, revert_s: float | None = None
    ) -> WriteResult:
        """Write a control capability and read it back.

        Parameters
        ----------
        capability : str
            A writable capability name.
        value : float, bool or int
            In the capability's unit.
        revert_s : float, optional
            Revert time [s] written to the source's revert timer, if it has one.

        Raises
        ------
        DeviceIOError, CodecError, UnsupportedCapabilityError
            The write could not be made.
        WriteVerifyError
            The value read back differs from what was written.
        """
        if not self.discovered:
            await self.discover()
        if not CAPABILITIES[capability].writable:
            raise UnsupportedCapabilityError(f"{capability} is not a control")
        source = self.source(capability)
        assert source.target is not None  # controls never have const sources (maps.py)
        try:
            register_value = source.to_register(capability, value)
        except CodecError as exc:
            raise CodecError(f"{self.name}: {exc}") from None
        pct_base = 1.0
        if source.pct_of:
            base = (await self.read([source.pct_of]))[source.pct_of]
            if not isinstance(base, float) or base <= 0:
                raise CodecError(
                    f"{self.name}: {source.pct_of} unknown, cannot write {capability} in %"
                )
            pct_base = base / 100.0
            register_value = register_value / pct_base
        blocks: dict[int, ModelBlock] = {}
        for model_id in sorted(source.models):
            blocks[model_id] = await self._read_block(model_id)
        reverted: float | None = None
        if source.revert_timer is not None and revert_s is not None:
            await self._write_target(
                source.revert_timer,
                float(round(revert_s)),
                self._block_for(source.revert_timer, blocks),
            )
            reverted = float(round(revert_s))
        await self._write_target(
            source.target, register_value, self._block_for(source.target, blocks)
        )
        await self._enable(source, blocks)
        fresh: dict[int, ModelBlock] = {}
        readback = source.to_capability(capability, await self._read_target(source.target, fresh))
        if isinstance(readback, float):
            readback *= pct_base
        step = self._resolution(source.target, fresh) * abs(source.scale) * pct_base
        self._verify(capability, value, readback, step)
        return WriteResult(capability, value, readback, reverted, str(source.target))

    @staticmethod
    def _resolution(target: Target, blocks: dict[int, ModelBlock]) -> float:
        """One register step of ``target`` in engineering units."""
        if isinstance(target, RegisterTarget):
            return abs(target.scale)
        has_sf, exponent = blocks[target.model_id].sf(target.path)
        return 10.0**exponent if has_sf and exponent is not None else 1.0

    def _verify(
        self,
        capability: str,
        requested: float | bool | int,
        readback: CapabilityValue,
        step: float,
    ) -> None:
        if readback is None:
            raise WriteVerifyError(f"{self.name}: {capability} reads back as unimplemented")
        if isinstance(requested, bool) or CAPABILITIES[capability].kind != "float":
            if readback != requested:
                raise WriteVerifyError(
                    f"{self.name}: {capability} reads {readback!r}, wrote {requested!r}"
                )
            return
        assert isinstance(readback, float | int)
        # The register holds the nearest step, so half a step of difference is rounding;
        # anything beyond a full step means the device changed the value.
        if abs(float(readback) - float(requested)) > step * (1 + 1e-9):
            raise WriteVerifyError(
                f"{self.name}: {capability} reads {readback}, wrote {requested}"
            )


def describe_error(exc: BaseException) -> str:
    """A one-line reason for a report."""
    kind = "io" if isinstance(exc, DeviceIOError) else type(exc).__name__
    return f"{kind}: {exc}"
