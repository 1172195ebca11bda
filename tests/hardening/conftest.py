"""The hardening suite: what an attacker, a faulty device and a failing database try.

The suite reuses the head-end fixtures of ``tests/server`` (a migrated store on SQLite
and PostgreSQL, the session PKI, the 2030.5 app over mutual TLS); they are loaded here
under their own module name so either folder runs alone. Each test prints what it tried
and what held through `hardening_testlib.Tally`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_SERVER_TESTS = Path(__file__).resolve().parents[1] / "server"
for _helpers in (_SERVER_TESTS, _SERVER_TESTS / "notify"):  # server_testlib, server_process
    if str(_helpers) not in sys.path:
        sys.path.insert(0, str(_helpers))

_spec = importlib.util.spec_from_file_location("server_fixtures", _SERVER_TESTS / "conftest.py")
assert _spec is not None and _spec.loader is not None
_server_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_server_fixtures)

# pytest finds fixtures by name in this module's namespace.
_sqlite_template = _server_fixtures._sqlite_template
_postgres_schema = _server_fixtures._postgres_schema
store = _server_fixtures.store
server_pki = _server_fixtures.server_pki
device_certs = _server_fixtures.device_certs
server_settings = _server_fixtures.server_settings
sep2_server = _server_fixtures.sep2_server
