"""Register images of simulated devices. Pure: the physics reads and writes them, the server
adapter serves them, and writes from the gateway queue up until the next physics step."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal, Protocol

from openderms.client.devices.device_map import DeviceMap, RegisterTarget, Source
from openderms.client.devices.sunspec import END_MODEL_ID, SUNS_MARKER, ModelBlock, ModelInstance
from openderms.client.devices.sunspec_models import load_model
from openderms.client.sim.errors import RegisterAccessError, SimConfigError

__all__ = ["MapRegisters", "RawRegisters", "RegisterImage", "SunSpecRegisters", "Table"]

Table = Literal["holding", "input"]


class RegisterImage(Protocol):
    """What the server adapter needs from a simulated device's registers."""

    def read(self, table: Table, address: int, count: int) -> list[int]: ...

    def write(self, address: int, values: Sequence[int]) -> None: ...

    def max_address(self) -> int: ...


class SunSpecRegisters:
    """A SunSpec map: ``SunS`` at ``base``, then the models, then the end block.

    Only points the model JSON marks RW accept writes (a read-only point answers with
    exception 2, as many inverters do). Written addresses queue in :attr:`pending` for the
    next physics step.
    """

    def __init__(self, model_ids: Iterable[int], base: int = 40000) -> None:
        self.base = base
        self.blocks: dict[int, ModelBlock] = {}
        self._order: list[ModelBlock] = []
        address = base + 2
        for model_id in model_ids:
            instance = ModelInstance(model_id, address, load_model(model_id).fixed_length)
            block = ModelBlock(instance)
            self.blocks.setdefault(model_id, block)
            self._order.append(block)
            address = instance.end
        self.end = address + 2
        self._writable: set[int] = set()
        for block in self._order:
            for slot in block.layout.slots.values():
                if slot.point.writable:
                    start = block.instance.address + slot.offset
                    self._writable.update(range(start, start + slot.point.size))
        self.pending: set[int] = set()
        """Addresses written since the physics last looked."""

    def _word(self, address: int) -> int:
        if address in (self.base, self.base + 1):
            return SUNS_MARKER[address - self.base]
        if address == self.end - 2:
            return END_MODEL_ID
        if address == self.end - 1:
            return 0
        for block in self._order:
            if block.instance.address <= address < block.instance.end:
                return block.registers[address - block.instance.address]
        raise RegisterAccessError(f"no register at {address}")

    def read(self, table: Table, address: int, count: int) -> list[int]:
        if table != "holding" or address < self.base or address + count > self.end:
            raise RegisterAccessError(f"no {table} registers at {address}+{count}")
        return [self._word(a) for a in range(address, address + count)]

    def write(self, address: int, values: Sequence[int]) -> None:
        span = range(address, address + len(values))
        if not set(span) <= self._writable:
            raise RegisterAccessError(f"registers {address}+{len(values)} are not writable")
        for a, value in zip(span, values, strict=True):
            for block in self._order:
                if block.instance.address <= a < block.instance.end:
                    block.registers[a - block.instance.address] = value
        self.pending.update(span)

    def max_address(self) -> int:
        return self.end - 1

    def written(self, model_id: int, *paths: str) -> bool:
        """True if any of ``paths`` of ``model_id`` was written since :meth:`clear_pending`."""
        block = self.blocks.get(model_id)
        if block is None:
            return False
        for path in paths:
            start = block.address_of(path)
            if self.pending & set(range(start, start + block.layout.slot(path).point.size)):
                return True
        return False

    def clear_pending(self) -> None:
        self.pending.clear()


class RawRegisters:
    """A plain register map (a charger or heat pump that does not speak SunSpec)."""

    def __init__(
        self, holding: dict[int, int], inputs: dict[int, int], writable: set[int]
    ) -> None:
        self.tables: dict[str, dict[int, int]] = {"holding": dict(holding), "input": dict(inputs)}
        self.writable = set(writable)
        self.pending: set[int] = set()

    def read(self, table: Table, address: int, count: int) -> list[int]:
        regs = self.tables[table]
        try:
            return [regs[a] for a in range(address, address + count)]
        except KeyError:
            raise RegisterAccessError(f"no {table} registers at {address}+{count}") from None

    def write(self, address: int, values: Sequence[int]) -> None:
        span = range(address, address + len(values))
        if not set(span) <= self.writable:
            raise RegisterAccessError(f"registers {address}+{len(values)} are not writable")
        for a, value in zip(span, values, strict=True):
            self.tables["holding"][a] = value
        self.pending.update(span)

    def max_address(self) -> int:
        return max(max(t, default=0) for t in self.tables.values())

    def set(self, table: Table, address: int, words: Sequence[int]) -> None:
        """Physics side: store words (no write check, not pending)."""
        for offset, word in enumerate(words):
            self.tables[table][address + offset] = word


class MapRegisters(RawRegisters):
    """The register image of a raw-register device, laid out by its :class:`DeviceMap`.

    Every register a map's sources name (values, revert timers, enables) exists, zero until
    the physics sets it, in the table the map gives; those the map marks ``access: rw``
    accept writes. The physics reads and writes *capabilities*, converted exactly as the
    gateway's driver converts them (:meth:`Source.to_register`, :meth:`Source.to_capability`),
    so a new map needs no new addresses in code.
    """

    def __init__(self, device_map: DeviceMap) -> None:
        if device_map.uses_sunspec:
            raise SimConfigError(f"{device_map.name}: a SunSpec map is served from its models")
        tables: dict[str, dict[int, int]] = {"holding": {}, "input": {}}
        writable: set[int] = set()
        for sources in device_map.capabilities.values():
            for source in sources:
                for target in _register_targets(source):
                    span = range(target.address, target.address + target.size)
                    tables[target.table].update(dict.fromkeys(span, 0))
                    if target.writable and target.table == "holding":
                        writable.update(span)
        super().__init__(tables["holding"], tables["input"], writable)
        self.map = device_map

    def _source(self, capability: str) -> Source:
        sources = self.map.capabilities.get(capability, ())
        if not sources:
            raise SimConfigError(f"{self.map.name}: the map has no {capability}")
        return sources[0]

    def has(self, capability: str) -> bool:
        return capability in self.map.capabilities

    def put(self, capability: str, value: float | bool | int) -> None:
        """Physics side: store ``value`` [the capability's unit] where the map reads it
        (not pending: the gateway did not write it). A capability the map lacks is skipped:
        the device does not show it."""
        if not self.has(capability):
            return
        source = self._source(capability)
        if isinstance(source.target, RegisterTarget):
            target = source.target
            self.set(
                target.table, target.address, target.encode(source.to_register(capability, value))
            )

    def get(self, capability: str) -> float | bool | int | None:
        """The capability's value as the registers hold it now (what the gateway wrote)."""
        source = self._source(capability)
        target = source.target
        if not isinstance(target, RegisterTarget):
            return source.const
        words = self.read(target.table, target.address, target.size)
        return source.to_capability(capability, target.decode(words))

    def revert_s(self, capability: str) -> float:
        """The revert time the gateway set for ``capability`` [s]; 0 without one."""
        timer = self._source(capability).revert_timer if self.has(capability) else None
        if not isinstance(timer, RegisterTarget):
            return 0.0
        value = timer.decode(self.read(timer.table, timer.address, timer.size))
        return value or 0.0

    def written(self, *capabilities: str) -> bool:
        """True if a register of ``capabilities`` (value, revert timer or enable) was written
        since the physics last cleared :attr:`pending`."""
        for capability in capabilities:
            for source in self.map.capabilities.get(capability, ()):
                for target in _register_targets(source):
                    if self.pending & set(range(target.address, target.address + target.size)):
                        return True
        return False


def _register_targets(source: Source) -> list[RegisterTarget]:
    targets = [source.target, source.revert_timer, *(e.target for e in source.enable)]
    return [t for t in targets if isinstance(t, RegisterTarget)]
