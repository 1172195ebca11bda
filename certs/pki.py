"""A test PKI on disk: ``openderms certs init`` and ``openderms certs device``.

Layout of a PKI directory (every ``.key`` is created with mode 0600)::

    serca.pem  serca.key     SERCA, the self-signed root; the one trust anchor
    mca.pem    mca.key       manufacturer CA, signed by the SERCA
    mica.pem   mica.key      manufacturer issuing CA, signed by the MCA
    chain.pem                MICA then MCA: the intermediates, for ``-untrusted``
    server.pem server.key    the server: leaf, MICA, MCA (localhost, 127.0.0.1)
    NAME.pem   NAME.key      devices: leaf, MICA, MCA

Certificate files of end entities hold the chain up to (not including) the SERCA, leaf
first, because a TLS peer must send its intermediates and trusts only the SERCA.

The server certificate is issued by the MICA, like every device: 2030.5 (clause 6.11)
has one certificate hierarchy for all its devices, servers included, and each peer
validates the other up to the SERCA. A separate server CA would be a second hierarchy
that 2030.5 clients are not required to know. The server keeps a HardwareModuleName (so
it has an LFDI) and adds DNS/IP names for HTTPS clients that check host names.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from openderms.certs.builders import (
    AGGREGATOR_POLICIES,
    DEVICE_POLICIES,
    MICA_POLICIES,
    Issuer,
    build_ca,
    build_device,
    build_root,
    build_server,
    new_key,
)
from openderms.certs.errors import (
    CertificateFormatError,
    PkiError,
    PkiExistsError,
    PkiMissingError,
)
from openderms.certs.hardware import HardwareModuleName
from openderms.certs.identity import DeviceIdentity, identity_from_certificate, load_certificate
from openderms.certs.oids import TEST_HARDWARE_TYPE

__all__ = [
    "DeviceFiles",
    "PkiPaths",
    "init_pki",
    "issue_device",
    "load_issuer",
    "load_private_key",
    "write_certificates",
    "write_private_key",
]

logger = logging.getLogger(__name__)

_RESERVED_NAMES = frozenset({"serca", "mca", "mica", "chain", "server"})
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class PkiPaths:
    """Where the files of a PKI directory are (see the module docstring)."""

    directory: Path
    serca_cert: Path
    serca_key: Path
    mca_cert: Path
    mca_key: Path
    mica_cert: Path
    mica_key: Path
    chain: Path
    server_cert: Path
    server_key: Path

    @classmethod
    def in_directory(cls, directory: Path) -> PkiPaths:
        """The paths of a PKI in ``directory`` (whether or not it exists yet)."""
        d = Path(directory)
        return cls(
            directory=d,
            serca_cert=d / "serca.pem",
            serca_key=d / "serca.key",
            mca_cert=d / "mca.pem",
            mca_key=d / "mca.key",
            mica_cert=d / "mica.pem",
            mica_key=d / "mica.key",
            chain=d / "chain.pem",
            server_cert=d / "server.pem",
            server_key=d / "server.key",
        )

    def files(self) -> tuple[Path, ...]:
        """Every file of the PKI."""
        return (
            self.serca_cert,
            self.serca_key,
            self.mca_cert,
            self.mca_key,
            self.mica_cert,
            self.mica_key,
            self.chain,
            self.server_cert,
            self.server_key,
        )


@dataclass(frozen=True)
class DeviceFiles:
    """A device certificate (chain file) and key, and the identity it gives."""

    cert: Path
    key: Path
    identity: DeviceIdentity


def init_pki(
    directory: Path,
    *,
    now: datetime | None = None,
    force: bool = False,
    server_dns_names: tuple[str, ...] = ("localhost",),
    server_ip_addresses: tuple[str, ...] = ("127.0.0.1",),
) -> PkiPaths:
    """Make a test PKI in ``directory``: SERCA, MCA, MICA and a server certificate.

    Parameters
    ----------
    directory
        Created if missing.
    now
        notBefore of every certificate [UTC]; the current time when None.
    force
        Replace an existing PKI (old keys are deleted, never rewritten in place). Device
        files issued by the old MICA stay, and no longer chain to the new SERCA.
    server_dns_names, server_ip_addresses
        subjectAltName host names of the server certificate.

    Raises
    ------
    PkiExistsError
        If a PKI file exists already and ``force`` is False.
    """
    paths = PkiPaths.in_directory(directory)
    when = _now(now)
    existing = [path for path in paths.files() if path.exists()]
    if existing and not force:
        raise PkiExistsError(f"{existing[0]} exists (use --force to replace the PKI)")
    for path in existing:
        path.unlink()
    paths.directory.mkdir(parents=True, exist_ok=True)

    serca_key, mca_key, mica_key, server_key = new_key(), new_key(), new_key(), new_key()
    serca = Issuer(build_root(serca_key, common_name="Test SERCA", now=when), serca_key)
    mca = Issuer(
        build_ca(serca, mca_key.public_key(), common_name="Test MCA", now=when, path_length=1),
        mca_key,
    )
    mica = Issuer(
        build_ca(
            mca,
            mica_key.public_key(),
            common_name="Test MICA",
            now=when,
            path_length=0,
            policies=MICA_POLICIES,
        ),
        mica_key,
    )
    server = build_server(
        mica,
        server_key.public_key(),
        hardware=HardwareModuleName(TEST_HARDWARE_TYPE.dotted_string, b"server"),
        now=when,
        dns_names=server_dns_names,
        ip_addresses=server_ip_addresses,
    )
    for issuer, cert_path, key_path in (
        (serca, paths.serca_cert, paths.serca_key),
        (mca, paths.mca_cert, paths.mca_key),
        (mica, paths.mica_cert, paths.mica_key),
    ):
        write_private_key(key_path, issuer.key)
        write_certificates(cert_path, [issuer.certificate])
    write_certificates(paths.chain, [mica.certificate, mca.certificate])
    write_private_key(paths.server_key, server_key)
    write_certificates(paths.server_cert, [server, mica.certificate, mca.certificate])
    logger.info("made a test PKI in %s", paths.directory)
    return paths


def issue_device(
    directory: Path,
    name: str,
    *,
    aggregator: bool = False,
    serial: str | None = None,
    now: datetime | None = None,
) -> DeviceFiles:
    """Issue ``NAME.pem`` and ``NAME.key`` in ``directory``, signed by its MICA.

    Parameters
    ----------
    directory
        A PKI directory made by :func:`init_pki`.
    name
        File name stem: letters, digits, ``.``, ``_``, ``-``; not a PKI file's name.
    aggregator
        Add the aggregator (service-provider) policy, see :mod:`openderms.certs.oids`.
    serial
        hwSerialNum of the HardwareModuleName; ``name`` when None.
    now
        notBefore [UTC]; the current time when None.

    Raises
    ------
    PkiError
        If ``name`` is not a safe file name or is reserved.
    PkiExistsError
        If the device's files exist already.
    PkiMissingError
        If the directory has no MICA.
    """
    if not _NAME_RE.fullmatch(name) or name.lower() in _RESERVED_NAMES:
        raise PkiError(f"device name {name!r} is not allowed (use [A-Za-z0-9._-], not a CA name)")
    paths = PkiPaths.in_directory(directory)
    cert_path, key_path = paths.directory / f"{name}.pem", paths.directory / f"{name}.key"
    for path in (cert_path, key_path):
        if path.exists():
            raise PkiExistsError(f"{path} exists")
    mica = load_issuer(paths.mica_cert, paths.mica_key)
    mca_certificate = load_certificate(paths.mca_cert)

    key = new_key()
    certificate = build_device(
        mica,
        key.public_key(),
        hardware=HardwareModuleName(
            TEST_HARDWARE_TYPE.dotted_string, (serial or name).encode("utf-8")
        ),
        now=_now(now),
        policies=AGGREGATOR_POLICIES if aggregator else DEVICE_POLICIES,
    )
    write_private_key(key_path, key)
    write_certificates(cert_path, [certificate, mica.certificate, mca_certificate])
    identity = identity_from_certificate(certificate.public_bytes(Encoding.DER))
    logger.info("issued %s (LFDI %s, SFDI %d)", cert_path, identity.lfdi, identity.sfdi)
    return DeviceFiles(cert=cert_path, key=key_path, identity=identity)


def write_private_key(path: Path, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> None:
    """Write ``key`` as unencrypted PKCS#8 PEM to a new file of mode 0600.

    The file is created with its final mode (``os.open`` with ``O_EXCL``), so the key is
    never readable by others, not even for a moment, and an existing file is never
    rewritten.

    Raises
    ------
    PkiExistsError
        If ``path`` exists.
    """
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError as exc:
        raise PkiExistsError(f"{path} exists") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def write_certificates(path: Path, certificates: Iterable[x509.Certificate]) -> None:
    """Write certificates as one PEM file, in the order given (leaf first)."""
    Path(path).write_bytes(b"".join(cert.public_bytes(Encoding.PEM) for cert in certificates))


def load_private_key(path: Path) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    """Read an unencrypted PEM private key (EC or RSA).

    Raises
    ------
    PkiMissingError
        If the file does not exist.
    CertificateFormatError
        If it is not an EC or RSA private key.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise PkiMissingError(f"{path} does not exist") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise CertificateFormatError(f"{path}: not an unencrypted PEM private key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise CertificateFormatError(f"{path}: not an EC or RSA key")
    return key


def load_issuer(cert_path: Path, key_path: Path) -> Issuer:
    """A CA certificate and its key, read from a PKI directory.

    Raises
    ------
    PkiMissingError
        If either file is missing (run ``openderms certs init`` first).
    """
    if not Path(cert_path).exists():
        raise PkiMissingError(f"{cert_path} does not exist (run `openderms certs init` first)")
    return Issuer(load_certificate(cert_path), load_private_key(key_path))


def _now(now: datetime | None) -> datetime:
    # The one clock read of the PKI: the CLI passes nothing, tests pass a fixed time.
    return datetime.now(UTC) if now is None else now
