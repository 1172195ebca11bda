"""The PKI directory: files, key modes, refusals to overwrite."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from certs_testlib import NOW

from openderms.certs.builders import new_key
from openderms.certs.errors import PkiError, PkiExistsError, PkiMissingError
from openderms.certs.hardware import hardware_module_name
from openderms.certs.identity import load_certificate
from openderms.certs.pki import PkiPaths, init_pki, issue_device, write_private_key


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Run with umask 0, so a file's mode is exactly what the code asked for."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_every_private_key_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    paths = init_pki(tmp_path / "pki", now=NOW)
    device = issue_device(paths.directory, "meter1", now=NOW)

    keys = sorted(paths.directory.glob("*.key"))

    assert [key.name for key in keys] == [
        "mca.key", "meter1.key", "mica.key", "serca.key", "server.key"
    ]  # fmt: skip
    assert device.key in keys
    assert {_mode(key) for key in keys} == {0o600}


@pytest.mark.usefixtures("open_umask")
def test_write_private_key_never_rewrites_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "taken.key"
    target.write_text("someone else's")
    os.chmod(target, 0o644)

    with pytest.raises(PkiExistsError):
        write_private_key(target, new_key())
    assert target.read_text() == "someone else's"


def test_init_writes_the_documented_files(tmp_path: Path) -> None:
    paths = init_pki(tmp_path / "pki", now=NOW)

    assert paths == PkiPaths.in_directory(tmp_path / "pki")
    assert sorted(p.name for p in paths.directory.iterdir()) == sorted(
        p.name for p in paths.files()
    )


def test_init_refuses_to_replace_a_pki(tmp_path: Path) -> None:
    paths = init_pki(tmp_path, now=NOW)
    before = paths.serca_cert.read_bytes()

    with pytest.raises(PkiExistsError):
        init_pki(tmp_path, now=NOW)
    assert paths.serca_cert.read_bytes() == before


def test_init_with_force_makes_a_new_root(tmp_path: Path) -> None:
    paths = init_pki(tmp_path, now=NOW)
    old_root = load_certificate(paths.serca_cert)

    init_pki(tmp_path, now=NOW, force=True)

    assert load_certificate(paths.serca_cert) != old_root


def test_issue_device_refuses_to_overwrite_a_device(tmp_path: Path) -> None:
    init_pki(tmp_path, now=NOW)
    first = issue_device(tmp_path, "ev1", now=NOW)

    with pytest.raises(PkiExistsError):
        issue_device(tmp_path, "ev1", now=NOW)
    assert issue_device(tmp_path, "ev2", now=NOW).identity != first.identity


@pytest.mark.parametrize(
    "name", ["serca", "MICA", "server", "chain", "../x", ".hidden", "a b", ""]
)
def test_issue_device_refuses_unsafe_or_reserved_names(tmp_path: Path, name: str) -> None:
    init_pki(tmp_path, now=NOW)

    with pytest.raises(PkiError):
        issue_device(tmp_path, name, now=NOW)


def test_issue_device_needs_an_initialised_pki(tmp_path: Path) -> None:
    with pytest.raises(PkiMissingError, match="certs init"):
        issue_device(tmp_path, "ev1", now=NOW)


def test_serial_defaults_to_name_and_can_be_given(tmp_path: Path) -> None:
    init_pki(tmp_path, now=NOW)
    named = issue_device(tmp_path, "ev1", now=NOW)
    serial = issue_device(tmp_path, "ev2", serial="SN-0042", now=NOW)

    named_hw = hardware_module_name(load_certificate(named.cert))
    serial_hw = hardware_module_name(load_certificate(serial.cert))
    assert named_hw is not None and named_hw.hw_serial == b"ev1"
    assert serial_hw is not None and serial_hw.hw_serial == b"SN-0042"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_ignores_pki_files_anywhere_in_the_repo() -> None:
    """Private keys are never committed (house rule); .gitignore must keep covering them."""
    repo = Path(__file__).resolve().parents[2]
    if not (repo / ".git").exists():
        pytest.skip("not a git work tree")
    paths = ["pki/serca.key", "certs/device.key", "deep/dir/server.pem"]

    ignored = subprocess.run(
        ["git", "-C", str(repo), "check-ignore", "--no-index", *paths],
        capture_output=True,
        text=True,
    ).stdout.split()

    assert ignored == paths
