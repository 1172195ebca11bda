"""device_profile_violations: which 2030.5 device-profile rules a certificate breaks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from certs_testlib import NOW, hardware_name, mica_of
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from openderms.certs.builders import build_device, new_key, new_rsa_key
from openderms.certs.identity import identity_from_certificate, load_certificate
from openderms.certs.oids import POLICY_TEST
from openderms.certs.pki import DeviceFiles, PkiPaths
from openderms.certs.profile import device_profile_violations
from openderms.cli import main


def _rules(certificate: x509.Certificate) -> set[str]:
    return {violation.rule for violation in device_profile_violations(certificate)}


def test_issued_device_and_aggregator_follow_the_profile(
    device: DeviceFiles, aggregator: DeviceFiles, pki: PkiPaths
) -> None:
    for path in (device.cert, aggregator.cert, pki.server_cert):
        assert device_profile_violations(load_certificate(path)) == [], path


def test_rsa_device_breaks_the_key_rule(pki: PkiPaths) -> None:
    cert = build_device(
        mica_of(pki), new_rsa_key().public_key(), hardware=hardware_name("r"), now=NOW
    )

    assert _rules(cert) == {"key"}


def test_expiring_device_breaks_the_validity_rule(pki: PkiPaths) -> None:
    cert = build_device(
        mica_of(pki),
        new_key().public_key(),
        hardware=hardware_name("e"),
        now=NOW,
        not_after=datetime(2034, 1, 1, tzinfo=UTC),
    )

    assert _rules(cert) == {"validity"}


def test_device_without_device_type_policy_breaks_the_policy_rule(pki: PkiPaths) -> None:
    cert = build_device(
        mica_of(pki),
        new_key().public_key(),
        hardware=hardware_name("p"),
        now=NOW,
        policies=(POLICY_TEST,),
    )

    assert _rules(cert) == {"policies"}


def test_ca_certificate_is_not_a_device(pki: PkiPaths) -> None:
    assert {"end-entity", "hardware-name"} <= _rules(load_certificate(pki.mica_cert))


def test_ca_listing_aggregator_policy_is_not_an_aggregator(pki: PkiPaths) -> None:
    der = load_certificate(pki.mica_cert).public_bytes(Encoding.DER)

    assert identity_from_certificate(der).is_aggregator is False


@pytest.mark.parametrize(("name", "code"), [("device", 0), ("mica", 1)])
def test_cli_id_check_exit_code_follows_profile(
    name: str, code: int, device: DeviceFiles, pki: PkiPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    path = device.cert if name == "device" else pki.mica_cert

    assert main(["certs", "id", "--check", str(path)]) == code
    assert ("profile: OK" in capsys.readouterr().out) is (code == 0)
