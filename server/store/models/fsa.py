"""FunctionSetAssignments (groups), their members and their programs."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from openderms.server.store.models._base import epoch_field, id_field

__all__ = ["FsaMember", "FsaProgram", "FunctionSetAssignmentsRow"]


class FunctionSetAssignmentsRow(SQLModel, table=True):
    """A group of EndDevices that share DERPrograms (2030.5 FunctionSetAssignments).

    ``end_device_id`` is set on a device's private group, created when the utility targets
    that single device.
    """

    __tablename__ = "fsa"

    id: int | None = id_field()
    mrid: str = Field(max_length=32, unique=True)
    description: str = Field(default="", max_length=32)
    end_device_id: int | None = Field(
        default=None, foreign_key="end_device.id", ondelete="CASCADE", index=True
    )
    created_time: int = epoch_field()
    changed_time: int = epoch_field()


class FsaMember(SQLModel, table=True):
    """EndDevice membership of a group."""

    __tablename__ = "fsa_member"

    fsa_id: int = Field(foreign_key="fsa.id", ondelete="CASCADE", primary_key=True)
    end_device_id: int = Field(
        foreign_key="end_device.id", ondelete="CASCADE", primary_key=True, index=True
    )
    added_time: int = epoch_field()


class FsaProgram(SQLModel, table=True):
    """A DERProgram listed in a group's DERProgramList."""

    __tablename__ = "fsa_program"

    fsa_id: int = Field(foreign_key="fsa.id", ondelete="CASCADE", primary_key=True)
    program_id: int = Field(
        foreign_key="der_program.id", ondelete="CASCADE", primary_key=True, index=True
    )
