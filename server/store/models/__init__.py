"""Table models of the head-end (sqlmodel). Import from here; names are stable."""

from openderms.server.store.models.der import ClientResourceRow
from openderms.server.store.models.derp import (
    ControlModeColumns,
    DefaultDERControlRow,
    DERControlRow,
    DERCurveRow,
    DERProgramRow,
)
from openderms.server.store.models.end_device import Aggregator, EndDeviceRow
from openderms.server.store.models.events import ControlResponseRow, LogEventRow
from openderms.server.store.models.fsa import FsaMember, FsaProgram, FunctionSetAssignmentsRow
from openderms.server.store.models.metering_mirror import (
    MirrorMeterReadingRow,
    MirrorReadingRow,
    MirrorUsagePointRow,
)
from openderms.server.store.models.openadr import (
    OadrClientRow,
    OadrObjectRow,
    OadrTargetRow,
    OadrTokenRow,
)
from openderms.server.store.models.settings import ServerSettingRow

__all__ = [
    "Aggregator",
    "ClientResourceRow",
    "ControlModeColumns",
    "ControlResponseRow",
    "DERControlRow",
    "DERCurveRow",
    "DERProgramRow",
    "DefaultDERControlRow",
    "EndDeviceRow",
    "FsaMember",
    "FsaProgram",
    "FunctionSetAssignmentsRow",
    "LogEventRow",
    "MirrorMeterReadingRow",
    "MirrorReadingRow",
    "MirrorUsagePointRow",
    "OadrClientRow",
    "OadrObjectRow",
    "OadrTargetRow",
    "OadrTokenRow",
    "ServerSettingRow",
]
