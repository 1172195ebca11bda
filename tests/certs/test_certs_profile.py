"""The IEEE 2030.5 certificate profile (clause 6.11) of the test PKI's certificates."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path

import pytest
from certs_testlib import NOW, device_under_expired_mica
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given
from hypothesis import strategies as st

from openderms.certs.builders import INDEFINITE_NOT_AFTER
from openderms.certs.errors import CertificateFormatError
from openderms.certs.hardware import HardwareModuleName, hardware_module_name
from openderms.certs.identity import certificate_policies, load_certificate, load_certificates
from openderms.certs.oids import (
    AGGREGATOR_POLICY,
    DEVICE_GENERIC,
    HARDWARE_MODULE_NAME,
    POLICY_TEST,
    TEST_HARDWARE_TYPE,
)
from openderms.certs.pki import DeviceFiles, PkiPaths

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _openssl_verify(
    ca: Path, untrusted: Path, cert: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    """``openssl verify`` of ``cert`` against root ``ca`` with intermediates ``untrusted``."""
    return subprocess.run(
        ["openssl", "verify", *options, "-CAfile", str(ca), "-untrusted", str(untrusted),
         str(cert)],
        capture_output=True,
        text=True,
    )  # fmt: skip


def _all_certificates(pki: PkiPaths, device: DeviceFiles) -> dict[str, x509.Certificate]:
    return {
        "serca": load_certificate(pki.serca_cert),
        "mca": load_certificate(pki.mca_cert),
        "mica": load_certificate(pki.mica_cert),
        "server": load_certificate(pki.server_cert),
        "device": load_certificate(device.cert),
    }


def test_every_certificate_is_ecdsa_p256_with_sha256(pki: PkiPaths, device: DeviceFiles) -> None:
    for name, cert in _all_certificates(pki, device).items():
        key = cert.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey), name
        assert isinstance(key.curve, ec.SECP256R1), name
        assert isinstance(cert.signature_hash_algorithm, hashes.SHA256), name
        assert cert.signature_algorithm_oid == x509.SignatureAlgorithmOID.ECDSA_WITH_SHA256


def test_certificates_never_expire(pki: PkiPaths, device: DeviceFiles) -> None:
    """notAfter 99991231235959Z, "no well-defined expiration" (RFC 5280 4.1.2.5)."""
    for name, cert in _all_certificates(pki, device).items():
        assert cert.not_valid_after_utc == INDEFINITE_NOT_AFTER, name


def test_device_not_after_is_generalized_time(device: DeviceFiles) -> None:
    der = load_certificate(device.cert).public_bytes(Encoding.DER)

    # X.690 tag 0x18 GeneralizedTime, length 15.
    assert b"\x18\x0f99991231235959Z" in der


def test_device_not_before_is_issue_time(device: DeviceFiles) -> None:
    assert load_certificate(device.cert).not_valid_before_utc == NOW


def test_device_subject_is_empty_and_san_is_critical(device: DeviceFiles) -> None:
    cert = load_certificate(device.cert)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)

    assert len(cert.subject) == 0
    assert san.critical is True


def test_device_san_holds_hardware_module_name(device: DeviceFiles) -> None:
    cert = load_certificate(device.cert)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    other_names = san.get_values_for_type(x509.OtherName)

    assert [name.type_id for name in other_names] == [HARDWARE_MODULE_NAME]
    assert hardware_module_name(cert) == HardwareModuleName(
        TEST_HARDWARE_TYPE.dotted_string, b"inverter1"
    )


def test_device_carries_generic_and_test_policies_critically(device: DeviceFiles) -> None:
    cert = load_certificate(device.cert)
    extension = cert.extensions.get_extension_for_class(x509.CertificatePolicies)

    assert extension.critical is True
    assert certificate_policies(cert) == {DEVICE_GENERIC, POLICY_TEST}


def test_aggregator_carries_aggregator_policy(aggregator: DeviceFiles) -> None:
    policies = certificate_policies(load_certificate(aggregator.cert))

    assert AGGREGATOR_POLICY in policies
    assert {DEVICE_GENERIC, POLICY_TEST} <= policies


def test_device_is_an_end_entity_for_signing_and_key_agreement(device: DeviceFiles) -> None:
    cert = load_certificate(device.cert)
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value

    assert constraints.value.ca is False
    assert usage.digital_signature and usage.key_agreement
    assert not usage.key_cert_sign


def test_chain_is_device_mica_mca_serca(pki: PkiPaths, device: DeviceFiles) -> None:
    certs = _all_certificates(pki, device)

    certs["device"].verify_directly_issued_by(certs["mica"])
    certs["mica"].verify_directly_issued_by(certs["mca"])
    certs["mca"].verify_directly_issued_by(certs["serca"])
    certs["serca"].verify_directly_issued_by(certs["serca"])


def test_ca_path_lengths_allow_exactly_this_chain(pki: PkiPaths) -> None:
    def path_length(path: Path) -> int | None:
        constraints = load_certificate(path).extensions.get_extension_for_class(
            x509.BasicConstraints
        )
        assert constraints.value.ca is True
        return constraints.value.path_length

    assert path_length(pki.mca_cert) == 1
    assert path_length(pki.mica_cert) == 0


def test_server_certificate_names_localhost_and_loopback(pki: PkiPaths) -> None:
    cert = load_certificate(pki.server_cert)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert hardware_module_name(cert) is not None  # a 2030.5 device with an LFDI too


def test_server_and_device_files_carry_the_chain_below_the_serca(
    pki: PkiPaths, device: DeviceFiles
) -> None:
    intermediates = [load_certificate(pki.mica_cert), load_certificate(pki.mca_cert)]

    assert load_certificates(pki.server_cert)[1:] == intermediates
    assert load_certificates(device.cert)[1:] == intermediates
    assert load_certificates(pki.chain) == intermediates


def test_hardware_module_name_oid_encodes_as_rfc_4108() -> None:
    """RFC 4108 id-on-hardwareModuleName 1.3.6.1.5.5.7.8.4 is DER 06 08 2B 06 01 05 05 07 08 04."""
    der = HardwareModuleName("1.3.6.1.5.5.7.8.4", b"").to_der()

    assert der == bytes.fromhex("300c06082b060105050708040400")


@given(
    arcs=st.lists(st.integers(min_value=0, max_value=2**40), min_size=0, max_size=8),
    first=st.sampled_from([(1, 3), (2, 999), (0, 39)]),
    serial=st.binary(max_size=300),
)
def test_hardware_module_name_round_trips(
    arcs: list[int], first: tuple[int, int], serial: bytes
) -> None:
    name = HardwareModuleName(".".join(str(arc) for arc in [*first, *arcs]), serial)

    assert HardwareModuleName.from_der(name.to_der()) == name
    # And cryptography's own OID parser reads our encoding the same way.
    assert x509.ObjectIdentifier(name.hw_type).dotted_string == name.hw_type


@pytest.mark.parametrize(
    "der",
    [b"", b"\x30\x00", b"\x30\x05\x06\x01\x2b\x04", b"\x04\x00", b"\x30\x02\x04\x00\x00"],
)
def test_hardware_module_name_refuses_malformed_der(der: bytes) -> None:
    with pytest.raises(CertificateFormatError):
        HardwareModuleName.from_der(der)


@needs_openssl
def test_openssl_verify_accepts_device_chain(pki: PkiPaths, device: DeviceFiles) -> None:
    result = _openssl_verify(pki.serca_cert, pki.chain, device.cert, "-x509_strict")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith(": OK")


@needs_openssl
def test_openssl_verify_refuses_device_of_another_root(
    foreign_pki: PkiPaths, device: DeviceFiles
) -> None:
    result = _openssl_verify(foreign_pki.serca_cert, foreign_pki.chain, device.cert)

    assert result.returncode != 0


@needs_openssl
def test_openssl_verify_refuses_chain_through_expired_mica(pki: PkiPaths, scratch: Path) -> None:
    files = device_under_expired_mica(pki, scratch)

    result = _openssl_verify(pki.serca_cert, files.cert, files.cert)

    assert result.returncode != 0
    assert "expired" in (result.stdout + result.stderr)
