"""TLS contexts for both ends of IEEE 2030.5 (clause 6.11, CSIP 5.2.3), stdlib :mod:`ssl`.

What every context here does, and why:

- **TLS 1.2 only.** 2030.5 mandates TLS 1.2, and TLS 1.3 suites ignore
  :meth:`ssl.SSLContext.set_ciphers`, so allowing 1.3 would bypass the cipher rule.
- **Cipher profile** ``"csip"`` (default): only TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, the one
  suite 2030.5 requires. ``"wide"`` (opt-in, for peers without CCM-8 such as browsers and
  some HTTP stacks): CCM-8 first, then ECDHE-ECDSA AES-128-GCM-SHA256 and
  AES-256-GCM-SHA384. Both are ECDHE-ECDSA only, so a server must show an ECDSA certificate.
- **Security level inside the cipher string.** CCM-8 has a 64-bit tag. OpenSSL 3.0 and
  3.1 (this machine has 3.0) rate the suite at 128 bits, so we keep Python's level 2
  there. OpenSSL 3.2 and later rate the CCM-8 suites as low security and drop them from
  level 1 up, which would leave no suite and fail every handshake with "no shared
  cipher"; there we set ``@SECLEVEL=0``. (Checked: OpenSSL 3.0.19 negotiates the suite
  at level 2; OpenSSL 4.0.3 refuses it at levels 1 and 2 with "no ciphers available" and
  negotiates it at level 0. The 3.2 boundary is from OpenSSL's own CCM-8 tests and
  distribution notes, not measured here.) Small or RSA keys, SHA-1 certificate signatures
  and weak groups, which level 0 would let in, stay out through the cipher list and the
  next two rules. What level 0 does let in is SHA-1 among the TLS 1.2 *handshake*
  signature algorithms (a peer may ask for ecdsa_sha1); Python's ssl has no API to set
  signature algorithms, so on OpenSSL >= 3.2 that remains.
- **ECDHE on P-256 only** (clause 6.11: secp256r1).
- **Suite B chain check** (OpenSSL ``X509_V_FLAG_SUITEB_128_LOS_ONLY``): during
  verification every certificate of the peer's chain, up to the SERCA, must have a P-256
  key and an ecdsa-with-SHA256 signature. This is how a server refuses an RSA *client*
  certificate: the cipher suite constrains only the server's certificate, and without this
  flag OpenSSL accepts an RSA client certificate signed by a valid MICA. The handshake fails
  with "Suite B: invalid public key algorithm" and a TLS alert.
- **Both ends verify up to the SERCA** (``ca`` is the SERCA file; intermediates come from
  the peer's chain file). The server requires a client certificate.

The server end under hypercorn: see :mod:`openderms.server.hypercorn_tls`.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from openderms.certs.errors import TlsConfigError
from openderms.certs.identity import DeviceIdentity, identity_from_certificate

__all__ = [
    "CIPHER_PROFILES",
    "CSIP_CIPHER",
    "SUITE_B_128_ONLY",
    "cipher_string",
    "client_context",
    "peer_identity",
    "server_context",
]

CSIP_CIPHER = "ECDHE-ECDSA-AES128-CCM8"  # TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, 0xC0AE

CIPHER_PROFILES: Mapping[str, str] = MappingProxyType(
    {
        "csip": CSIP_CIPHER,
        "wide": f"{CSIP_CIPHER}:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384",
    }
)

# OpenSSL x509_vfy.h X509_V_FLAG_SUITEB_128_LOS_ONLY; ssl.VerifyFlags has no name for it,
# but the setter passes any bit through to X509_VERIFY_PARAM_set_flags.
SUITE_B_128_ONLY = ssl.VerifyFlags(0x10000)

_ECDH_CURVE = "prime256v1"

# The OpenSSL release that rates CCM-8 suites below security level 1 (64-bit tag).
_CCM8_LOW_SECURITY_SINCE = (3, 2)


def cipher_string(
    profile: str, *, openssl_version: tuple[int, ...] = ssl.OPENSSL_VERSION_INFO
) -> str:
    """The OpenSSL cipher string of a profile (``"csip"`` or ``"wide"``).

    Parameters
    ----------
    profile
        ``"csip"`` or ``"wide"``.
    openssl_version
        Version of the OpenSSL the context runs on (the linked one by default); it
        decides the security level, see the module docstring.

    Raises
    ------
    TlsConfigError
        If the profile is unknown.
    """
    try:
        suites = CIPHER_PROFILES[profile]
    except KeyError:
        known = ", ".join(sorted(CIPHER_PROFILES))
        raise TlsConfigError(f"unknown cipher profile {profile!r} (known: {known})") from None
    level = 0 if tuple(openssl_version[:2]) >= _CCM8_LOW_SECURITY_SINCE else 2
    return f"{suites}:@SECLEVEL={level}"


def server_context(cert: Path, key: Path, ca: Path, *, ciphers: str = "csip") -> ssl.SSLContext:
    """A server context that requires and verifies a 2030.5 client certificate.

    Parameters
    ----------
    cert
        The server's chain file (leaf first, then MICA and MCA), e.g. ``server.pem``.
    key
        The server's private key.
    ca
        The SERCA certificate(s) clients must chain to.
    ciphers
        Cipher profile name, ``"csip"`` or ``"wide"``.

    Raises
    ------
    TlsConfigError
        On an unknown profile or unreadable files.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _apply(context, cert, key, ca, ciphers)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(
    cert: Path,
    key: Path,
    ca: Path,
    *,
    ciphers: str = "csip",
    check_hostname: bool = True,
) -> ssl.SSLContext:
    """A client context that presents a device certificate and verifies the server.

    Parameters
    ----------
    cert
        The device's chain file (leaf, MICA, MCA), e.g. ``NAME.pem``.
    key
        The device's private key.
    ca
        The SERCA certificate(s) the server must chain to.
    ciphers
        Cipher profile name, ``"csip"`` or ``"wide"``.
    check_hostname
        Match the server certificate's DNS/IP names against the host connected to.
        2030.5 itself authenticates the server by its chain only; turn this off for
        servers whose certificate names no host.

    Raises
    ------
    TlsConfigError
        On an unknown profile or unreadable files.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _apply(context, cert, key, ca, ciphers)
    context.check_hostname = check_hostname
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def peer_identity(connection: ssl.SSLObject | ssl.SSLSocket) -> DeviceIdentity | None:
    """The 2030.5 identity of the peer of a TLS connection, or None before a handshake.

    For asyncio servers the connection is ``transport.get_extra_info("ssl_object")``.
    """
    der = connection.getpeercert(binary_form=True)
    return None if der is None else identity_from_certificate(der)


def _apply(context: ssl.SSLContext, cert: Path, key: Path, ca: Path, ciphers: str) -> None:
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.set_ciphers(cipher_string(ciphers))
    except ssl.SSLError as exc:  # this OpenSSL lacks every suite of the profile
        raise TlsConfigError(f"OpenSSL rejects cipher profile {ciphers!r}: {exc}") from exc
    context.set_ecdh_curve(_ECDH_CURVE)
    context.verify_flags |= SUITE_B_128_ONLY
    try:
        context.load_cert_chain(certfile=cert, keyfile=key)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"cannot load certificate {cert} with key {key}: {exc}") from exc
    try:
        context.load_verify_locations(cafile=ca)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"cannot load CA file {ca}: {exc}") from exc
