"""Fixtures of the certs tests: test PKIs made once per session (treat them as read-only)."""

from __future__ import annotations

from pathlib import Path

import pytest
from certs_testlib import NOW

from openderms.certs.pki import DeviceFiles, PkiPaths, init_pki, issue_device


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    """A test PKI: SERCA, MCA, MICA and server certificate."""
    return init_pki(tmp_path_factory.mktemp("pki"), now=NOW)


@pytest.fixture(scope="session")
def device(pki: PkiPaths) -> DeviceFiles:
    """A device certificate of the session PKI."""
    return issue_device(pki.directory, "inverter1", now=NOW)


@pytest.fixture(scope="session")
def aggregator(pki: PkiPaths) -> DeviceFiles:
    """An aggregator certificate of the session PKI."""
    return issue_device(pki.directory, "aggregator1", aggregator=True, now=NOW)


@pytest.fixture(scope="session")
def foreign_pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    """A second, unrelated test PKI (another SERCA)."""
    return init_pki(tmp_path_factory.mktemp("foreign"), now=NOW)


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A per-test directory for certificates a test makes."""
    return tmp_path
