"""LFDI and SFDI (IEEE 2030.5 clause 6.3.3, 6.3.4) and DeviceIdentity."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given
from hypothesis import strategies as st

from openderms.certs.errors import CertificateFormatError, IdentityError, PkiMissingError
from openderms.certs.identity import (
    identity_from_certificate,
    identity_from_pem,
    lfdi_from_certificate,
    lfdi_from_fingerprint,
    load_certificate,
    load_certificates,
    sfdi_from_lfdi,
)
from openderms.certs.pki import DeviceFiles, PkiPaths

# The worked example of IEEE 2030.5-2018 clause 6.3.3/6.3.4.
STANDARD_FINGERPRINT = bytes.fromhex(
    "3E4F45AB31EDFE5B67E343E5E4562E31984E23E5349E2AD745672ED145EE213A"
)
STANDARD_LFDI = "3E4F45AB31EDFE5B67E343E5E4562E31984E23E5"
STANDARD_SFDI = 167261211391


def test_lfdi_matches_standard_example() -> None:
    assert lfdi_from_fingerprint(STANDARD_FINGERPRINT) == STANDARD_LFDI


def test_sfdi_matches_standard_example() -> None:
    assert sfdi_from_lfdi(STANDARD_LFDI) == STANDARD_SFDI


def test_sfdi_accepts_lower_case_lfdi() -> None:
    assert sfdi_from_lfdi(STANDARD_LFDI.lower()) == STANDARD_SFDI


@given(st.binary(min_size=20, max_size=20))
def test_sfdi_is_first_36_bits_then_check_digit(lfdi_bytes: bytes) -> None:
    """SFDI = decimal of the first 36 bits, then one digit making the digit sum % 10 == 0."""
    lfdi = lfdi_bytes.hex().upper()

    sfdi = sfdi_from_lfdi(lfdi)

    assert sfdi // 10 == int.from_bytes(lfdi_bytes, "big") >> (160 - 36)
    assert sum(int(digit) for digit in str(sfdi)) % 10 == 0


@pytest.mark.parametrize(
    "bad", ["", "3E4F45AB", STANDARD_LFDI + "0", "G" * 40, " " + STANDARD_LFDI[1:]]
)
def test_sfdi_refuses_malformed_lfdi(bad: str) -> None:
    with pytest.raises(IdentityError):
        sfdi_from_lfdi(bad)


def test_lfdi_refuses_fingerprint_shorter_than_160_bits() -> None:
    with pytest.raises(IdentityError):
        lfdi_from_fingerprint(STANDARD_FINGERPRINT[:19])


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl binary")
def test_lfdi_is_sha256_fingerprint_of_der_certificate(device: DeviceFiles) -> None:
    """Cross-check against OpenSSL's own SHA-256 fingerprint of the leaf certificate."""
    out = subprocess.run(
        ["openssl", "x509", "-in", str(device.cert), "-noout", "-fingerprint", "-sha256"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    openssl_hex = out.strip().split("=", 1)[1].replace(":", "")
    der = load_certificate(device.cert).public_bytes(Encoding.DER)

    assert lfdi_from_certificate(der) == openssl_hex[:40].upper()


def test_lfdi_refuses_pem_text(device: DeviceFiles) -> None:
    """Hashing PEM text would give a wrong LFDI silently, so it is an error."""
    with pytest.raises(CertificateFormatError):
        lfdi_from_certificate(device.cert.read_bytes())


def test_lfdi_refuses_bytes_that_are_not_a_certificate() -> None:
    with pytest.raises(CertificateFormatError):
        lfdi_from_certificate(b"\x30\x03\x02\x01\x01")


def test_identity_of_device_is_not_aggregator(device: DeviceFiles) -> None:
    der = load_certificate(device.cert).public_bytes(Encoding.DER)

    identity = identity_from_certificate(der)

    assert identity.lfdi == lfdi_from_certificate(der)
    assert identity.sfdi == sfdi_from_lfdi(identity.lfdi)
    assert identity.is_aggregator is False


def test_identity_of_aggregator_certificate_says_aggregator(aggregator: DeviceFiles) -> None:
    der = load_certificate(aggregator.cert).public_bytes(Encoding.DER)

    assert identity_from_certificate(der).is_aggregator is True


def test_issue_device_reports_identity_of_its_leaf(device: DeviceFiles) -> None:
    der = load_certificate(device.cert).public_bytes(Encoding.DER)

    assert device.identity == identity_from_certificate(der)


def test_load_certificate_reads_the_leaf_of_a_chain_file(
    device: DeviceFiles, pki: PkiPaths
) -> None:
    chain = load_certificates(device.cert)

    assert len(chain) == 3
    assert load_certificate(device.cert) == chain[0]
    assert chain[1] == load_certificate(pki.mica_cert)
    assert chain[2] == load_certificate(pki.mca_cert)


def test_load_certificate_reads_der_files(device: DeviceFiles, tmp_path: Path) -> None:
    leaf = load_certificate(device.cert)
    der_file = tmp_path / "leaf.der"
    der_file.write_bytes(leaf.public_bytes(Encoding.DER))

    assert load_certificate(der_file) == leaf


def test_load_certificate_refuses_a_key_file(device: DeviceFiles) -> None:
    with pytest.raises(CertificateFormatError):
        load_certificate(device.key)


def test_identity_from_forwarded_pem_matches_der(device: DeviceFiles) -> None:
    """A proxy forwards PEM text; it must give the same identity as the DER on the wire."""
    pem = device.cert.read_text()

    assert identity_from_pem(pem) == device.identity


def test_identity_from_pem_refuses_other_text() -> None:
    with pytest.raises(CertificateFormatError):
        identity_from_pem("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")


def test_load_certificate_of_missing_file_is_a_certs_error(tmp_path: Path) -> None:
    with pytest.raises(PkiMissingError):
        load_certificate(tmp_path / "absent.pem")
