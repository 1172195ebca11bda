"""Fixtures for notification delivery tests."""

from __future__ import annotations

import pytest
from notify_pki import NotifyPki, make_notify_pki


@pytest.fixture(scope="session")
def notify_pki(tmp_path_factory: pytest.TempPathFactory) -> NotifyPki:
    return make_notify_pki(tmp_path_factory.mktemp("notify-pki"))
