"""Pure builders of IEEE 2030.5 certificates: keys and ``now`` in, certificates out.

The profile follows IEEE 2030.5-2018 clause 6.11:

- ECDSA on P-256 (secp256r1), signatures ecdsa-with-SHA256;
- every certificate of the chain has notAfter 99991231235959Z, "no well-defined
  expiration" (RFC 5280 4.1.2.5, GeneralizedTime); devices are never re-certified;
- device certificates have an empty subject and a critical subjectAltName holding the
  RFC 4108 HardwareModuleName, and critical certificatePolicies naming the device type
  and policies (clause 6.11.7);
- the chain is SERCA (self-signed root) -> MCA (manufacturer CA) -> MICA (manufacturer
  issuing CA) -> device.

Builders never read the clock or files; :mod:`openderms.certs.pki` does. Tests call
them directly to make certificates the normal path never would (an expired MICA, a
foreign root, an RSA key).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import NameOID

from openderms.certs.hardware import HardwareModuleName
from openderms.certs.oids import (
    AGGREGATOR_POLICY,
    ANY_POLICY,
    DEVICE_GENERIC,
    DEVICE_MOBILE,
    DEVICE_POST_MANUFACTURE,
    POLICY_TEST,
)

__all__ = [
    "AGGREGATOR_POLICIES",
    "DEVICE_POLICIES",
    "INDEFINITE_NOT_AFTER",
    "MICA_POLICIES",
    "SERVER_POLICIES",
    "Issuer",
    "build_ca",
    "build_device",
    "build_root",
    "build_server",
    "new_key",
    "new_rsa_key",
]

# RFC 5280 4.1.2.5: 99991231235959Z means "no well-defined expiration date";
# cryptography writes dates from 2050 on as GeneralizedTime, as RFC 5280 requires.
INDEFINITE_NOT_AFTER = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)

# Everything this test PKI issues carries the test policy (6.11.7.3), so a production
# server that refuses test certificates refuses ours.
DEVICE_POLICIES: tuple[x509.ObjectIdentifier, ...] = (DEVICE_GENERIC, POLICY_TEST)
AGGREGATOR_POLICIES: tuple[x509.ObjectIdentifier, ...] = (
    DEVICE_GENERIC,
    AGGREGATOR_POLICY,
    POLICY_TEST,
)
SERVER_POLICIES: tuple[x509.ObjectIdentifier, ...] = (DEVICE_GENERIC, POLICY_TEST)
MICA_POLICIES: tuple[x509.ObjectIdentifier, ...] = (
    DEVICE_GENERIC,
    DEVICE_MOBILE,
    DEVICE_POST_MANUFACTURE,
    AGGREGATOR_POLICY,
    POLICY_TEST,
)


@dataclass(frozen=True)
class Issuer:
    """A CA certificate with the key that signs for it."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def new_key() -> ec.EllipticCurvePrivateKey:
    """A fresh ECDSA P-256 key, the only key type 2030.5 allows (clause 6.11.2)."""
    return ec.generate_private_key(ec.SECP256R1())


def new_rsa_key() -> rsa.RSAPrivateKey:
    """An RSA key, for tests that show 2030.5 peers refuse RSA certificates."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def build_root(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    *,
    common_name: str,
    now: datetime,
    not_after: datetime = INDEFINITE_NOT_AFTER,
) -> x509.Certificate:
    """A self-signed root (the SERCA of the test PKI, or a foreign root in tests)."""
    name = _ca_name(common_name)
    builder = _base(name, name, key.public_key(), now, not_after)
    builder = _add_ca_extensions(builder, key.public_key(), None, (ANY_POLICY,))
    return builder.sign(key, hashes.SHA256())


def build_ca(
    issuer: Issuer,
    public_key: CertificatePublicKeyTypes,
    *,
    common_name: str,
    now: datetime,
    path_length: int | None,
    policies: Sequence[x509.ObjectIdentifier] = (ANY_POLICY,),
    not_after: datetime = INDEFINITE_NOT_AFTER,
) -> x509.Certificate:
    """An intermediate CA (MCA or MICA) signed by ``issuer``."""
    builder = _base(_ca_name(common_name), issuer.certificate.subject, public_key, now, not_after)
    builder = builder.add_extension(
        x509.BasicConstraints(ca=True, path_length=path_length), critical=True
    )
    builder = _add_ca_extensions(builder, public_key, issuer, policies)
    return builder.sign(issuer.key, hashes.SHA256())


def build_device(
    issuer: Issuer,
    public_key: CertificatePublicKeyTypes,
    *,
    hardware: HardwareModuleName,
    now: datetime,
    policies: Sequence[x509.ObjectIdentifier] = DEVICE_POLICIES,
    extra_names: Iterable[x509.GeneralName] = (),
    not_after: datetime = INDEFINITE_NOT_AFTER,
) -> x509.Certificate:
    """A 2030.5 device certificate (clause 6.11.7) signed by ``issuer`` (a MICA).

    Parameters
    ----------
    issuer
        The MICA that signs.
    public_key
        The device's public key (P-256; anything else only in tests of refusals).
    hardware
        Names the device in subjectAltName.
    now
        notBefore [UTC datetime].
    policies
        certificatePolicies: a device type and policies from :mod:`~openderms.certs.oids`.
    extra_names
        More subjectAltName entries (DNS and IP names of a server).
    not_after
        Kept at 99991231235959Z except in tests.
    """
    # The subject is empty (6.11.7), so RFC 5280 4.2.1.6 makes subjectAltName critical.
    builder = _base(x509.Name([]), issuer.certificate.subject, public_key, now, not_after)
    uses_ecdh = isinstance(public_key, ec.EllipticCurvePublicKey)
    builder = builder.add_extension(
        x509.BasicConstraints(ca=False, path_length=None), critical=True
    )
    builder = builder.add_extension(
        _key_usage(
            digital_signature=True, key_encipherment=not uses_ecdh, key_agreement=uses_ecdh
        ),
        critical=True,
    )
    builder = builder.add_extension(_policies(policies), critical=True)
    builder = builder.add_extension(
        x509.SubjectAlternativeName([hardware.to_other_name(), *extra_names]), critical=True
    )
    builder = _add_key_identifiers(builder, public_key, issuer)
    return builder.sign(issuer.key, hashes.SHA256())


def build_server(
    issuer: Issuer,
    public_key: CertificatePublicKeyTypes,
    *,
    hardware: HardwareModuleName,
    now: datetime,
    dns_names: Sequence[str] = ("localhost",),
    ip_addresses: Sequence[str] = ("127.0.0.1",),
) -> x509.Certificate:
    """A server certificate: a device certificate that also names its host.

    2030.5 servers authenticate with device certificates from the same SERCA hierarchy
    as clients (clause 6.11), so the server keeps its HardwareModuleName (and has an
    LFDI of its own) and adds DNS and IP names for clients that check the host name.
    """
    names: list[x509.GeneralName] = [x509.DNSName(dns) for dns in dns_names]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
    return build_device(
        issuer,
        public_key,
        hardware=hardware,
        now=now,
        policies=SERVER_POLICIES,
        extra_names=names,
    )


def _ca_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "openderms test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(
    *,
    digital_signature: bool = False,
    key_encipherment: bool = False,
    key_agreement: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    """keyUsage with only the named bits set (the others are never used here)."""
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=key_agreement,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _policies(policies: Iterable[x509.ObjectIdentifier]) -> x509.CertificatePolicies:
    """certificatePolicies naming each OID without qualifiers (clause 6.11.7.3)."""
    return x509.CertificatePolicies([x509.PolicyInformation(oid, None) for oid in policies])


def _base(
    subject: x509.Name,
    issuer_name: x509.Name,
    public_key: CertificatePublicKeyTypes,
    now: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now.replace(microsecond=0))
        .not_valid_after(not_after)
    )


def _add_ca_extensions(
    builder: x509.CertificateBuilder,
    public_key: CertificatePublicKeyTypes,
    issuer: Issuer | None,
    policies: Sequence[x509.ObjectIdentifier],
) -> x509.CertificateBuilder:
    if issuer is None:  # a root: no path length limit, self-issued
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        )
    builder = builder.add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
    builder = builder.add_extension(_policies(policies), critical=True)
    return _add_key_identifiers(builder, public_key, issuer)


def _add_key_identifiers(
    builder: x509.CertificateBuilder,
    public_key: CertificatePublicKeyTypes,
    issuer: Issuer | None,
) -> x509.CertificateBuilder:
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
    )
    if issuer is not None:
        issuer_ski = issuer.certificate.extensions.get_extension_for_class(
            x509.SubjectKeyIdentifier
        ).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
            critical=False,
        )
    return builder
