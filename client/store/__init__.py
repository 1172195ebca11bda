"""The gateway's local SQLite store: what it holds must survive a restart.

See :class:`openderms.client.store.sqlite.GatewayStore`.
"""

from openderms.client.store.errors import StoreError
from openderms.client.store.sqlite import GatewayStore, OutboxItem, ScheduleDocument

__all__ = ["GatewayStore", "OutboxItem", "ScheduleDocument", "StoreError"]
