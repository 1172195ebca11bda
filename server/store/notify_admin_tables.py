"""Imports the tables of notification delivery and the admin API (for alembic's metadata).

Those tables live in their own modules (``outbox``, ``subscriptions``, ``admin``) next to
the function-set models; importing this module registers all of them on
``SQLModel.metadata``.
"""

from openderms.server.store.admin import AdminToken, AuditRecord
from openderms.server.store.outbox import NotificationOutbox
from openderms.server.store.subscriptions import SubscriptionRecord

__all__ = ["AdminToken", "AuditRecord", "NotificationOutbox", "SubscriptionRecord"]
