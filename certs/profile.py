"""Check a device certificate against the IEEE 2030.5 profile (clause 6.11).

:func:`device_profile_violations` lists what a certificate gets wrong; an empty list means
it follows the profile as far as one certificate can show (the chain is TLS's business).
It accepts what real manufacturers issue, so it checks the rules of 2030.5 itself, not
the extras of our test PKI (no test policy, no particular hwType).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from openderms.certs.builders import INDEFINITE_NOT_AFTER
from openderms.certs.errors import CertificateFormatError
from openderms.certs.hardware import hardware_module_name
from openderms.certs.identity import certificate_policies
from openderms.certs.oids import DEVICE_GENERIC, DEVICE_MOBILE, DEVICE_POST_MANUFACTURE

__all__ = ["ProfileViolation", "device_profile_violations"]

_DEVICE_TYPES = frozenset({DEVICE_GENERIC, DEVICE_MOBILE, DEVICE_POST_MANUFACTURE})


@dataclass(frozen=True)
class ProfileViolation:
    """One rule of the 2030.5 device certificate profile that a certificate breaks.

    Attributes
    ----------
    rule
        Short name: ``key`` (P-256), ``signature`` (ecdsa-with-SHA256), ``validity``
        (notAfter 99991231235959Z), ``end-entity``, ``key-usage`` (digitalSignature),
        ``hardware-name`` (RFC 4108 name in subjectAltName), ``san-critical``,
        ``policies`` (a device-type policy).
    detail
        What was found, for people.
    """

    rule: str
    detail: str


def device_profile_violations(certificate: x509.Certificate) -> list[ProfileViolation]:
    """The 2030.5 device-profile rules ``certificate`` breaks (empty when none)."""
    found: list[ProfileViolation] = []
    key = certificate.public_key()
    if not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)):
        found.append(ProfileViolation("key", f"public key is {type(key).__name__}, not P-256"))
    if certificate.signature_algorithm_oid != x509.SignatureAlgorithmOID.ECDSA_WITH_SHA256:
        found.append(
            ProfileViolation("signature", f"signed with {certificate.signature_algorithm_oid}")
        )
    if certificate.not_valid_after_utc != INDEFINITE_NOT_AFTER:
        found.append(
            ProfileViolation(
                "validity",
                f"notAfter {certificate.not_valid_after_utc:%Y-%m-%d %H:%M:%S}, "
                "not 99991231235959Z",
            )
        )
    found += _extension_violations(certificate)
    return found


def _extension_violations(certificate: x509.Certificate) -> list[ProfileViolation]:
    found: list[ProfileViolation] = []
    extensions = certificate.extensions
    try:
        if extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            found.append(ProfileViolation("end-entity", "basicConstraints says CA"))
    except x509.ExtensionNotFound:
        pass  # absent basicConstraints means an end entity (RFC 5280 4.2.1.9)
    try:
        if not extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature:
            found.append(ProfileViolation("key-usage", "keyUsage lacks digitalSignature"))
    except x509.ExtensionNotFound:
        found.append(ProfileViolation("key-usage", "no keyUsage extension"))
    try:
        hardware = hardware_module_name(certificate)
    except CertificateFormatError as exc:
        found.append(ProfileViolation("hardware-name", f"malformed HardwareModuleName: {exc}"))
    else:
        if hardware is None:
            found.append(ProfileViolation("hardware-name", "no HardwareModuleName in SAN"))
        elif (
            len(certificate.subject) == 0
            and not extensions.get_extension_for_class(x509.SubjectAlternativeName).critical
        ):
            # RFC 5280 4.2.1.6: with an empty subject the name lives only in the SAN.
            found.append(
                ProfileViolation("san-critical", "empty subject but subjectAltName not critical")
            )
    policies = certificate_policies(certificate)
    if not policies & _DEVICE_TYPES:
        found.append(ProfileViolation("policies", "no 2030.5 device-type policy (6.11.7.2)"))
    return found
