"""Subscription/Notification delivery (IEEE 2030.5-2018 §12.8) through a transactional outbox.

``sink`` turns a committed-with-the-change resource change into outbox rows; ``worker``
delivers them over mutual TLS with retries (``backoff``).
"""
