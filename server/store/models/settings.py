"""Server-wide settings the admin API may change at run time (pollRate, postRate)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

__all__ = ["ServerSettingRow"]


class ServerSettingRow(SQLModel, table=True):
    """A named integer setting; absent = the value from the config file."""

    __tablename__ = "server_setting"

    name: str = Field(primary_key=True, max_length=64)
    int_value: int
