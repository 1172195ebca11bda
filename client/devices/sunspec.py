"""SunSpec model instances in a register image: scaled point reads and writes. Pure.

:class:`ModelBlock` holds the registers of one model instance (as read from a device, or as
a simulator keeps them) and turns point paths into engineering values and back, applying
scale factors (value = raw × 10^sf) and the unimplemented sentinels of the codec.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openderms.client.devices.codec import decode, encode, scale, unscale
from openderms.client.devices.errors import CodecError, DiscoveryError
from openderms.client.devices.sunspec_models import ModelLayout, PointSlot, layout

__all__ = [
    "END_MODEL_ID",
    "SUNS_MARKER",
    "ModelBlock",
    "ModelInstance",
    "PointValue",
]

SUNS_MARKER = (0x5375, 0x6E53)
"""``SunS`` (0x53756E53), the two registers that start a SunSpec map."""
END_MODEL_ID = 0xFFFF
"""Model id of the end block that terminates the chain."""

PointValue = float | int | str | None


@dataclass(frozen=True, slots=True)
class ModelInstance:
    """One model found in a device's chain."""

    model_id: int
    address: int
    """Register address of the model's ID register."""
    length: int
    """The model's L register: registers after ID and L [registers]."""

    @property
    def end(self) -> int:
        """Address just after the model [register address]."""
        return self.address + 2 + self.length


class ModelBlock:
    """The registers of one model instance, with point access by path."""

    def __init__(self, instance: ModelInstance, registers: Sequence[int] | None = None) -> None:
        self.instance = instance
        # Devices report the length they implement; tolerate other revisions (see layout).
        self.layout: ModelLayout = layout(instance.model_id, instance.length, strict=False)
        size = instance.length + 2
        if registers is None:
            self.registers = [0] * size
            self.registers[0] = instance.model_id
            self.registers[1] = instance.length
        else:
            if len(registers) != size:
                raise DiscoveryError(
                    f"model {instance.model_id} needs {size} registers, got {len(registers)}"
                )
            self.registers = list(registers)

    def _regs(self, slot: PointSlot) -> list[int]:
        return self.registers[slot.offset : slot.offset + slot.point.size]

    def raw(self, path: str) -> int | float | str | None:
        """The decoded, unscaled value of ``path``."""
        slot = self.layout.slot(path)
        return decode(slot.point.type, self._regs(slot))

    def sf(self, path: str) -> tuple[bool, int | None]:
        """(has a scale factor, its exponent or None when unimplemented) for ``path``."""
        slot = self.layout.slot(path)
        if slot.sf_const is not None:
            return True, slot.sf_const
        if slot.sf_path is None:
            return False, None
        value = self.raw(slot.sf_path)
        return True, None if value is None else int(value)

    def get(self, path: str) -> PointValue:
        """The engineering value of ``path`` (raw × 10^sf), None when unimplemented."""
        raw = self.raw(path)
        has_sf, exponent = self.sf(path)
        if has_sf and exponent is None:
            return None
        return scale(raw, exponent)

    def encode(self, path: str, value: PointValue) -> tuple[int, list[int]]:
        """Registers that write ``value`` to ``path``: (offset from the ID register, words).

        Raises
        ------
        CodecError
            The point's scale factor is unimplemented, or the value does not fit.
        """
        slot = self.layout.slot(path)
        has_sf, exponent = self.sf(path)
        if has_sf and exponent is None:
            raise CodecError(f"{path}: scale factor {slot.sf_path} is unimplemented")
        raw: int | float | str | None
        if value is None or isinstance(value, str) or slot.point.type.startswith("float"):
            raw = value
        else:
            raw = unscale(float(value), exponent)
        return slot.offset, encode(slot.point.type, raw, slot.point.size)

    def set(self, path: str, value: PointValue) -> tuple[int, list[int]]:
        """Store ``value`` at ``path`` in this image; returns what :meth:`encode` does."""
        offset, words = self.encode(path, value)
        self.registers[offset : offset + len(words)] = words
        return offset, words

    def address_of(self, path: str) -> int:
        """Absolute register address of ``path``."""
        return self.instance.address + self.layout.slot(path).offset
