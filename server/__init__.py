"""Utility head-end: IEEE 2030.5 function sets, admin API, notifications, storage."""
