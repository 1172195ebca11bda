"""Device identities of IEEE 2030.5: LFDI and SFDI (clause 6.3.3, 6.3.4).

- The certificate fingerprint is SHA-256 over the DER certificate.
- LFDI (long-form device identifier) is the first 160 bits of the fingerprint, written
  here as 40 upper-case hex digits, the form 2030.5 resources carry.
- SFDI (short-form device identifier) is the first 36 bits of the fingerprint as a
  decimal number, followed by one check digit that makes the sum of all digits a
  multiple of 10.

Example from the standard: fingerprint 3E4F45AB31EDFE5B...213A gives
LFDI 3E4F45AB31EDFE5B67E343E5E4562E31984E23E5 and SFDI 167261211391.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from openderms.certs.errors import CertificateFormatError, IdentityError, PkiMissingError
from openderms.certs.oids import AGGREGATOR_POLICY

__all__ = [
    "LFDI_HEX_DIGITS",
    "DeviceIdentity",
    "certificate_policies",
    "identity_from_certificate",
    "identity_from_pem",
    "lfdi_from_certificate",
    "lfdi_from_fingerprint",
    "load_certificate",
    "load_certificates",
    "sfdi_check_digit",
    "sfdi_from_lfdi",
]

LFDI_HEX_DIGITS = 40  # 160 bits
_SFDI_HEX_DIGITS = 9  # 36 bits
_LFDI_RE = re.compile(r"[0-9A-Fa-f]{40}")
_PEM_MARKER = b"-----BEGIN"


@dataclass(frozen=True)
class DeviceIdentity:
    """Who a certificate says its holder is, in 2030.5 terms.

    Attributes
    ----------
    lfdi
        40 upper-case hex digits (clause 6.3.4).
    sfdi
        Decimal SFDI with its check digit (clause 6.3.3), at most 12 digits.
    is_aggregator
        True when an end-entity certificate carries the aggregator (service-provider)
        policy, see :mod:`openderms.certs.oids`.
    """

    lfdi: str
    sfdi: int
    is_aggregator: bool = False


def lfdi_from_fingerprint(fingerprint: bytes) -> str:
    """LFDI from a certificate fingerprint.

    Parameters
    ----------
    fingerprint
        SHA-256 digest of the DER certificate (32 bytes; at least 20 are needed).

    Returns
    -------
    str
        The first 160 bits as 40 upper-case hex digits.

    Raises
    ------
    IdentityError
        If fewer than 20 bytes are given.
    """
    if len(fingerprint) < LFDI_HEX_DIGITS // 2:
        raise IdentityError(f"fingerprint has {len(fingerprint)} bytes, an LFDI needs 20")
    return fingerprint[: LFDI_HEX_DIGITS // 2].hex().upper()


def lfdi_from_certificate(cert_der: bytes) -> str:
    """LFDI of a certificate: SHA-256 over its DER encoding, first 160 bits.

    Raises
    ------
    CertificateFormatError
        If ``cert_der`` is not a DER certificate (PEM text is refused, because hashing
        it would give a wrong LFDI without any error).
    """
    _check_der_certificate(cert_der)
    return lfdi_from_fingerprint(hashlib.sha256(cert_der).digest())


def sfdi_check_digit(number: int) -> int:
    """Digit that, appended to ``number``, makes its digit sum a multiple of 10."""
    return (10 - sum(int(digit) for digit in str(number)) % 10) % 10


def sfdi_from_lfdi(lfdi: str) -> int:
    """SFDI from an LFDI: first 36 bits as decimal, then the check digit (clause 6.3.3).

    Raises
    ------
    IdentityError
        If ``lfdi`` is not 40 hex digits.
    """
    if not _LFDI_RE.fullmatch(lfdi):
        raise IdentityError(f"an LFDI is 40 hex digits, got {lfdi!r}")
    leading = int(lfdi[:_SFDI_HEX_DIGITS], 16)
    return leading * 10 + sfdi_check_digit(leading)


def identity_from_certificate(cert_der: bytes) -> DeviceIdentity:
    """The :class:`DeviceIdentity` of a DER certificate (for example a TLS peer's)."""
    certificate = _check_der_certificate(cert_der)
    lfdi = lfdi_from_fingerprint(hashlib.sha256(cert_der).digest())
    return DeviceIdentity(
        lfdi=lfdi,
        sfdi=sfdi_from_lfdi(lfdi),
        is_aggregator=(
            AGGREGATOR_POLICY in certificate_policies(certificate)
            and not _is_ca(certificate)  # a MICA lists the policy for what it may issue
        ),
    )


def identity_from_pem(pem: bytes | str) -> DeviceIdentity:
    """The :class:`DeviceIdentity` of the first certificate of PEM text.

    For a certificate forwarded by a TLS-terminating proxy in a trusted header; undo the
    header's URL-encoding (for example ``urllib.parse.unquote``) before calling.

    Raises
    ------
    CertificateFormatError
        If the text holds no PEM certificate.
    """
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        certificate = x509.load_pem_x509_certificates(data)[0]
    except ValueError as exc:
        raise CertificateFormatError(f"not a PEM certificate: {exc}") from exc
    return identity_from_certificate(certificate.public_bytes(Encoding.DER))


def certificate_policies(certificate: x509.Certificate) -> frozenset[x509.ObjectIdentifier]:
    """Policy OIDs of the certificatePolicies extension (empty when it has none)."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.CertificatePolicies)
    except x509.ExtensionNotFound:
        return frozenset()
    return frozenset(policy.policy_identifier for policy in extension.value)


def load_certificates(path: Path | str) -> list[x509.Certificate]:
    """All certificates of a PEM bundle, or the one certificate of a DER file.

    Raises
    ------
    CertificateFormatError
        If the file holds no certificate.
    PkiMissingError
        If the file does not exist (a ``FileNotFoundError`` too).
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise PkiMissingError(f"{path} does not exist") from exc
    try:
        if _PEM_MARKER in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise CertificateFormatError(f"{path}: not a certificate: {exc}") from exc


def load_certificate(path: Path | str) -> x509.Certificate:
    """The first certificate of a PEM file (the leaf of a chain file) or a DER file."""
    return load_certificates(path)[0]


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _check_der_certificate(cert_der: bytes) -> x509.Certificate:
    if cert_der.lstrip().startswith(_PEM_MARKER):
        raise CertificateFormatError("expected a DER certificate, got PEM text")
    try:
        return x509.load_der_x509_certificate(cert_der)
    except ValueError as exc:
        raise CertificateFormatError(f"not a DER certificate: {exc}") from exc
