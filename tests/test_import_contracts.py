"""No module slips past the sans-IO contracts (issue 8, item 9).

The import-linter contracts in pyproject.toml that keep the client's cores free of I/O list
modules, because those packages mix cores with their I/O adapters. This test closes the gap
a list leaves: every module of such a package is either listed in a sans-IO contract or
named below as an adapter. A new module fails here until someone says which it is.
"""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The I/O adapters of each mixed package: sockets, serial lines, the clock, the local store.
ADAPTERS: dict[str, set[str]] = {
    "openderms.client.sep2": {"discovery", "held_schedule", "http", "session", "state"},
    "openderms.client.devices": {"discovery", "driver", "site", "transport"},
    "openderms.client.sim": {"cli", "nullmodem", "runtime", "server"},
    "openderms.client.dispatch": {"dispatcher"},
    "openderms.client.optimizer": {"cli"},
    "openderms.client.forecast": set(),
}


def _folder(package: str) -> Path:
    return ROOT / "client" / package.removeprefix("openderms.client.").replace(".", "/")


def _sans_io_modules() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed: set[str] = set()
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract["type"] == "forbidden" and "asyncio" in contract["forbidden_modules"]:
            listed.update(contract["source_modules"])
    return listed


@pytest.mark.parametrize("package", sorted(ADAPTERS))
def test_every_module_is_a_listed_core_or_a_named_adapter(package: str) -> None:
    listed = _sans_io_modules()
    modules = {info.name for info in pkgutil.iter_modules([str(_folder(package))])}
    if package in listed:
        return  # the whole package is a core
    unclassified = {name for name in modules if f"{package}.{name}" not in listed} - ADAPTERS[
        package
    ]
    assert not unclassified, (
        f"{package}: list {sorted(unclassified)} in a sans-IO contract (pyproject.toml) or, "
        "if it does I/O, in ADAPTERS here"
    )


@pytest.mark.parametrize("package", sorted(ADAPTERS))
def test_named_adapters_exist_and_are_not_also_cores(package: str) -> None:
    modules = {info.name for info in pkgutil.iter_modules([str(_folder(package))])}
    listed = _sans_io_modules()
    assert ADAPTERS[package] <= modules
    assert not {f"{package}.{name}" for name in ADAPTERS[package]} & listed
