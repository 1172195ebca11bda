"""Real-time dynamic load management: share import headroom across EV chargers.

Pure and fast (numpy, no solver); see :func:`allocate`.
"""

from openderms.client.dlm.allocator import Allocation, ChargerReading, DlmLimits, allocate
from openderms.client.dlm.errors import DlmError, DlmInputError

__all__ = ["Allocation", "ChargerReading", "DlmError", "DlmInputError", "DlmLimits", "allocate"]
