"""FunctionSetAssignments rows -> 2030.5 FunctionSetAssignments(List)."""

from __future__ import annotations

from collections.abc import Sequence

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.mappers.common import mrid_type
from openderms.server.store.models import FunctionSetAssignmentsRow

__all__ = ["map_fsa", "map_fsa_list"]


def map_fsa(
    row: FunctionSetAssignmentsRow, end_device_id: int, *, program_count: int
) -> sep.FunctionSetAssignments:
    assert row.id is not None
    return sep.FunctionSetAssignments(
        href=uris.fsa(end_device_id, row.id),
        subscribable=0,
        mRID=mrid_type(row.mrid),
        description=row.description or None,
        DERProgramListLink=sep.DERProgramListLink(
            href=uris.fsa_program_list(end_device_id, row.id), all=program_count
        ),
        TimeLink=sep.TimeLink(href=uris.TIME),
    )


def map_fsa_list(
    items: Sequence[sep.FunctionSetAssignments], *, total: int, href: str, poll_rate_s: int
) -> sep.FunctionSetAssignmentsList:
    return sep.FunctionSetAssignmentsList(
        href=href,
        all=total,
        results=len(items),
        subscribable=1,
        pollRate=poll_rate_s,
        FunctionSetAssignments=list(items),
    )
