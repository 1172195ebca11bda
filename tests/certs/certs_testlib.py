"""Helpers of the certs tests (a module, not fixtures, so tests can import them).

Named uniquely because tests/ directories are not packages.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from openderms.certs.builders import Issuer, build_ca, build_device, new_key, new_rsa_key
from openderms.certs.hardware import HardwareModuleName
from openderms.certs.identity import DeviceIdentity, load_certificate
from openderms.certs.oids import TEST_HARDWARE_TYPE
from openderms.certs.pki import PkiPaths, load_issuer, write_certificates, write_private_key
from openderms.certs.tls import cipher_string, peer_identity

# A fixed notBefore in the past: repeatable, and always passed by the real clock that
# OpenSSL checks during a handshake.
NOW = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
TIMEOUT_S = 5.0


@dataclass(frozen=True)
class CertFiles:
    """A chain file (leaf first) and its key file."""

    cert: Path
    key: Path


def write_leaf(
    directory: Path,
    name: str,
    leaf: x509.Certificate,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    chain: list[x509.Certificate],
) -> CertFiles:
    """Write ``leaf`` and its intermediates to NAME.pem and its key to NAME.key."""
    files = CertFiles(directory / f"{name}.pem", directory / f"{name}.key")
    write_private_key(files.key, key)
    write_certificates(files.cert, [leaf, *chain])
    return files


def mica_of(pki: PkiPaths) -> Issuer:
    """The MICA of a PKI directory, with its key."""
    return load_issuer(pki.mica_cert, pki.mica_key)


def mca_of(pki: PkiPaths) -> Issuer:
    """The MCA of a PKI directory, with its key."""
    return load_issuer(pki.mca_cert, pki.mca_key)


def hardware_name(serial: str) -> HardwareModuleName:
    """A HardwareModuleName under the documentation enterprise number."""
    return HardwareModuleName(TEST_HARDWARE_TYPE.dotted_string, serial.encode())


def device_under_expired_mica(pki: PkiPaths, directory: Path) -> CertFiles:
    """A device whose MICA (signed by the real MCA) expired in 2021; chain file included."""
    mica_key = new_key()
    mica = build_ca(
        mca_of(pki),
        mica_key.public_key(),
        common_name="Expired MICA",
        now=NOW.replace(year=2020),
        not_after=NOW.replace(year=2021),
        path_length=0,
    )
    key = new_key()
    leaf = build_device(
        Issuer(mica, mica_key), key.public_key(), hardware=hardware_name("expired"), now=NOW
    )
    return write_leaf(directory, "expired", leaf, key, [mica, load_certificate(pki.mca_cert)])


def rsa_device(pki: PkiPaths, directory: Path) -> CertFiles:
    """An RSA-2048 device certificate signed by the real MICA (valid chain, wrong key type)."""
    key = new_rsa_key()
    leaf = build_device(mica_of(pki), key.public_key(), hardware=hardware_name("rsa"), now=NOW)
    chain = [load_certificate(pki.mica_cert), load_certificate(pki.mca_cert)]
    return write_leaf(directory, "rsa", leaf, key, chain)


def bare_client_context(ca: Path, ciphers: str = "csip") -> ssl.SSLContext:
    """A TLS 1.2 client context like ours but without a client certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(cipher_string(ciphers))
    context.load_verify_locations(cafile=ca)
    return context


@dataclass
class Handshake:
    """What both ends saw of one TLS connection over loopback."""

    server_error: BaseException | None = None
    client_error: BaseException | None = None
    cipher: str | None = None
    version: str | None = None
    echo: bytes | None = None
    peer_der: bytes | None = None
    peer: DeviceIdentity | None = None

    @property
    def succeeded(self) -> bool:
        """Both ends completed the handshake and one message went through and back."""
        return self.server_error is None and self.client_error is None and self.echo == b"ping"


@contextmanager
def serving_once(server: ssl.SSLContext) -> Iterator[tuple[int, Handshake]]:
    """Accept one TLS connection on 127.0.0.1 in a thread; yields (port, server's view).

    The server echoes the first 4 bytes it receives. Leaving the block waits for it.
    """
    result = Handshake()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(TIMEOUT_S)
        thread = threading.Thread(target=_serve_once, args=(listener, server, result))
        thread.start()
        try:
            yield listener.getsockname()[1], result
        finally:
            thread.join(TIMEOUT_S * 2)


def handshake(
    server: ssl.SSLContext, client: ssl.SSLContext, server_hostname: str = "localhost"
) -> Handshake:
    """Run a real TLS handshake between two contexts on 127.0.0.1 and echo one message."""
    with serving_once(server) as (port, result):
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as raw,
                client.wrap_socket(raw, server_hostname=server_hostname) as tls,
            ):
                cipher = tls.cipher()
                result.cipher = cipher[0] if cipher else None
                result.version = tls.version()
                tls.sendall(b"ping")
                result.echo = tls.recv(4)
        except (ssl.SSLError, OSError) as exc:
            result.client_error = exc
    return result


def _serve_once(listener: socket.socket, context: ssl.SSLContext, result: Handshake) -> None:
    try:
        conn, _ = listener.accept()
    except OSError as exc:
        result.server_error = exc
        return
    conn.settimeout(TIMEOUT_S)
    try:
        with context.wrap_socket(conn, server_side=True) as tls:
            result.peer_der = tls.getpeercert(binary_form=True)
            result.peer = peer_identity(tls)
            tls.sendall(tls.recv(4))
    except (ssl.SSLError, OSError) as exc:
        result.server_error = exc
    finally:
        conn.close()
