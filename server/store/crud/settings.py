"""Run-time server settings (overrides of the config file)."""

from __future__ import annotations

from sqlmodel import Session

from openderms.server.store.models import ServerSettingRow

__all__ = ["get_int_setting", "set_int_setting"]


def get_int_setting(session: Session, name: str) -> int | None:
    row = session.get(ServerSettingRow, name)
    return None if row is None else row.int_value


def set_int_setting(session: Session, name: str, value: int) -> None:
    row = session.get(ServerSettingRow, name)
    if row is None:
        session.add(ServerSettingRow(name=name, int_value=value))
    else:
        row.int_value = value
        session.add(row)
