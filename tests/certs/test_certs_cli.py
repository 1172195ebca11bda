"""``openderms certs init|device|id`` through the real ``openderms`` entry point."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from openderms.certs.identity import identity_from_certificate, load_certificate
from openderms.cli import main


def test_init_device_id_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pki = tmp_path / "pki"

    assert main(["certs", "init", str(pki)]) == 0
    assert main(["certs", "device", str(pki), "inverter7"]) == 0
    device_out = capsys.readouterr().out
    assert main(["certs", "id", str(pki / "inverter7.pem")]) == 0
    id_out = capsys.readouterr().out

    identity = identity_from_certificate(
        load_certificate(pki / "inverter7.pem").public_bytes(Encoding.DER)
    )
    expected = f"LFDI: {identity.lfdi}\nSFDI: {identity.sfdi}\n"
    assert id_out == expected
    assert expected in device_out
    assert (pki / "inverter7.key").exists()


def test_device_aggregator_flag_is_reported_by_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["certs", "init", str(tmp_path)])
    main(["certs", "device", str(tmp_path), "agg", "--aggregator"])
    capsys.readouterr()

    main(["certs", "id", str(tmp_path / "agg.pem")])

    assert "aggregator: yes" in capsys.readouterr().out


def test_init_twice_fails_without_force(tmp_path: Path) -> None:
    assert main(["certs", "init", str(tmp_path)]) == 0

    assert main(["certs", "init", str(tmp_path)]) == 1
    assert main(["certs", "init", "--force", str(tmp_path)]) == 0


def test_init_server_names_can_be_chosen(tmp_path: Path) -> None:
    main(["certs", "init", str(tmp_path), "--server-dns", "gw.local", "--server-ip", "::1"])

    san = (
        load_certificate(tmp_path / "server.pem")
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    assert san.get_values_for_type(x509.DNSName) == ["gw.local"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["::1"]


def test_id_of_missing_file_fails(tmp_path: Path) -> None:
    assert main(["certs", "id", str(tmp_path / "absent.pem")]) == 1


@pytest.mark.parametrize("verb", ["init", "device", "id"])
def test_every_verb_has_help(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["certs", verb, "--help"])

    assert exit_info.value.code == 0
    assert re.search(r"usage: openderms certs " + verb, capsys.readouterr().out)
