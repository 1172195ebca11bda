"""The utility operator's web dashboard, served under ``/dashboard`` on the admin listener.

Server-rendered pages (jinja2) with inline SVG charts and one small vanilla JS file; a
JSON API behind every page (``/dashboard/api/...``); CSV exports. Authenticated with the
admin API's bearer tokens (a login form exchanges a token for a signed session cookie).
Read-only except logout. See `openderms.server.dashboard.app`.
"""

from openderms.server.dashboard.app import (
    DASHBOARD_PREFIX,
    create_dashboard_app,
    mount_dashboard,
)

__all__ = ["DASHBOARD_PREFIX", "create_dashboard_app", "mount_dashboard"]
