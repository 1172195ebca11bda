"""Errors of notification delivery."""

from __future__ import annotations

__all__ = ["NotificationGoneError", "NotifyError"]


class NotifyError(Exception):
    """Base of notification errors."""


class NotificationGoneError(NotifyError):
    """The notification can no longer be made: its subscription was deleted, or the device
    may no longer read the subscribed resource (e.g. it left the group). Never retried."""
