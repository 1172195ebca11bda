"""Fixtures for the admin API: an app on a migrated store with utility and aggregator tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from quart import Quart

from openderms.server.admin.app import create_admin_app
from openderms.server.admin.tokens import create_token
from openderms.server.changes import RecordingChangeSink
from openderms.server.store.admin import AdminRole
from openderms.server.store.db import Store

NOW = 1_800_000_000
AGGREGATOR_LFDI = "AA" * 20
OTHER_AGGREGATOR_LFDI = "BB" * 20


@dataclass
class AdminEnv:
    store: Store
    app: Quart
    changes: RecordingChangeSink
    utility: str
    aggregator: str
    other_aggregator: str
    clock: list[int]

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin_env(store: Store) -> Iterator[AdminEnv]:
    def issue(role: AdminRole, lfdi: str | None) -> str:
        return store.call(
            create_token, name=f"{role.value}-{lfdi}", role=role, aggregator_lfdi=lfdi, now=NOW
        ).token

    clock = [NOW]
    changes = RecordingChangeSink()
    app = create_admin_app(store, changes=changes, clock=lambda: clock[0])
    yield AdminEnv(
        store=store,
        app=app,
        changes=changes,
        utility=issue(AdminRole.UTILITY, None),
        aggregator=issue(AdminRole.AGGREGATOR, AGGREGATOR_LFDI),
        other_aggregator=issue(AdminRole.AGGREGATOR, OTHER_AGGREGATOR_LFDI),
        clock=clock,
    )
