"""Real TLS handshakes on 127.0.0.1 between our server and client contexts.

IEEE 2030.5 clause 6.11 / CSIP 5.2.3: TLS 1.2, TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, mutual
authentication with ECDSA P-256 certificates chained to the SERCA.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from certs_testlib import (
    NOW,
    bare_client_context,
    device_under_expired_mica,
    handshake,
    hardware_name,
    mica_of,
    rsa_device,
    serving_once,
    write_leaf,
)
from cryptography.hazmat.primitives.serialization import Encoding

from openderms.certs.builders import build_server, new_rsa_key
from openderms.certs.errors import TlsConfigError
from openderms.certs.identity import identity_from_certificate, load_certificate
from openderms.certs.pki import DeviceFiles, PkiPaths, init_pki, issue_device
from openderms.certs.tls import CSIP_CIPHER, cipher_string, client_context, server_context

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _server(pki: PkiPaths, ciphers: str = "csip") -> ssl.SSLContext:
    return server_context(pki.server_cert, pki.server_key, pki.serca_cert, ciphers=ciphers)


def _client(files: DeviceFiles, pki: PkiPaths, ciphers: str = "csip") -> ssl.SSLContext:
    return client_context(files.cert, files.key, pki.serca_cert, ciphers=ciphers)


def test_device_and_server_agree_on_tls12_ccm8(pki: PkiPaths, device: DeviceFiles) -> None:
    result = handshake(_server(pki), _client(device, pki))

    assert result.succeeded, result
    assert result.version == "TLSv1.2"
    assert result.cipher == CSIP_CIPHER


def test_server_sees_the_device_identity(pki: PkiPaths, device: DeviceFiles) -> None:
    result = handshake(_server(pki), _client(device, pki))

    assert result.peer_der is not None
    assert identity_from_certificate(result.peer_der) == device.identity
    assert result.peer == device.identity


def test_server_sees_the_aggregator_as_aggregator(pki: PkiPaths, aggregator: DeviceFiles) -> None:
    result = handshake(_server(pki), _client(aggregator, pki))

    assert result.peer is not None and result.peer.is_aggregator


def _s_client(
    port: int, device: DeviceFiles, pki: PkiPaths, groups: str, extra: tuple[str, ...] = ()
) -> str:
    """Connect with ``openssl s_client`` offering ``groups``; return what it printed."""
    completed = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2",
         "-cipher", cipher_string("csip"), "-groups", groups,
         "-cert", str(device.cert), "-cert_chain", str(device.cert), "-key", str(device.key),
         "-CAfile", str(pki.serca_cert), *extra],
        input=b"ping",
        capture_output=True,
        timeout=10,
    )  # fmt: skip
    return completed.stdout.decode(errors="replace") + completed.stderr.decode(errors="replace")


@needs_openssl
def test_server_picks_p256_for_ecdhe_when_client_prefers_x25519(
    pki: PkiPaths, device: DeviceFiles
) -> None:
    """Clause 6.11: ECDHE on secp256r1. OpenSSL alone would choose X25519 here."""
    with serving_once(_server(pki)) as (port, result):
        output = _s_client(port, device, pki, groups="X25519:P-256")

    assert result.server_error is None, output
    assert "Server Temp Key: ECDH, prime256v1" in output


@needs_openssl
def test_server_refuses_client_offering_only_x25519(pki: PkiPaths, device: DeviceFiles) -> None:
    with serving_once(_server(pki)) as (port, result):
        output = _s_client(port, device, pki, groups="X25519")

    assert result.server_error is not None, output


def test_server_refuses_client_without_certificate(pki: PkiPaths) -> None:
    result = handshake(_server(pki), bare_client_context(pki.serca_cert))

    assert not result.succeeded
    assert isinstance(result.server_error, ssl.SSLError)
    assert "certificate" in str(result.server_error).lower()


def test_server_refuses_client_of_another_root(pki: PkiPaths, scratch: Path) -> None:
    other = init_pki(scratch / "other", now=NOW)
    stranger = issue_device(other.directory, "stranger", now=NOW)
    client = client_context(stranger.cert, stranger.key, pki.serca_cert)

    result = handshake(_server(pki), client)

    assert isinstance(result.server_error, ssl.SSLCertVerificationError)
    assert "unable to get local issuer certificate" in str(result.server_error)
    assert result.client_error is not None


def test_server_refuses_client_under_expired_mica(pki: PkiPaths, scratch: Path) -> None:
    files = device_under_expired_mica(pki, scratch)
    client = client_context(files.cert, files.key, pki.serca_cert)

    result = handshake(_server(pki), client)

    assert isinstance(result.server_error, ssl.SSLCertVerificationError)
    assert "certificate has expired" in str(result.server_error)
    assert result.client_error is not None


def test_server_refuses_rsa_client_certificate_from_valid_mica(
    pki: PkiPaths, scratch: Path
) -> None:
    """The ECDSA cipher suite binds only the server's key; the Suite B check binds the client's."""
    files = rsa_device(pki, scratch)
    client = client_context(files.cert, files.key, pki.serca_cert)

    result = handshake(_server(pki), client)

    assert isinstance(result.server_error, ssl.SSLCertVerificationError)
    assert "Suite B: invalid public key algorithm" in str(result.server_error)
    assert result.client_error is not None


def test_client_refuses_rsa_server_certificate(
    pki: PkiPaths, device: DeviceFiles, scratch: Path
) -> None:
    key = new_rsa_key()
    leaf = build_server(mica_of(pki), key.public_key(), hardware=hardware_name("s"), now=NOW)
    chain = [load_certificate(pki.mica_cert), load_certificate(pki.mca_cert)]
    files = write_leaf(scratch, "rsa-server", leaf, key, chain)
    server = server_context(files.cert, files.key, pki.serca_cert)

    result = handshake(server, _client(device, pki))

    # No ECDHE-ECDSA suite can be used with an RSA key, so nothing is negotiated.
    assert not result.succeeded
    assert "no shared cipher" in str(result.server_error)


def test_client_refuses_server_of_another_root(
    pki: PkiPaths, foreign_pki: PkiPaths, device: DeviceFiles
) -> None:
    result = handshake(_server(foreign_pki), _client(device, pki))

    assert isinstance(result.client_error, ssl.SSLCertVerificationError)
    assert "unable to get local issuer certificate" in str(result.client_error)


def test_client_checks_server_host_name(pki: PkiPaths, device: DeviceFiles) -> None:
    result = handshake(_server(pki), _client(device, pki), server_hostname="grid.example")

    assert isinstance(result.client_error, ssl.SSLCertVerificationError)
    assert "hostname mismatch" in str(result.client_error).lower()


def test_client_reaches_server_by_loopback_address(pki: PkiPaths, device: DeviceFiles) -> None:
    result = handshake(_server(pki), _client(device, pki), server_hostname="127.0.0.1")

    assert result.succeeded, result


def test_client_may_skip_host_name_check(pki: PkiPaths, device: DeviceFiles) -> None:
    client = client_context(device.cert, device.key, pki.serca_cert, check_hostname=False)

    result = handshake(_server(pki), client, server_hostname="grid.example")

    assert result.succeeded, result


def test_csip_server_refuses_gcm_only_client(pki: PkiPaths, device: DeviceFiles) -> None:
    client = _client(device, pki)
    client.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")

    result = handshake(_server(pki), client)

    assert not result.succeeded
    assert "no shared cipher" in str(result.server_error)


def test_wide_server_accepts_gcm_only_client(pki: PkiPaths, device: DeviceFiles) -> None:
    client = _client(device, pki)
    client.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")

    result = handshake(_server(pki, ciphers="wide"), client)

    assert result.succeeded, result
    assert result.cipher == "ECDHE-ECDSA-AES128-GCM-SHA256"


def test_wide_server_still_prefers_ccm8(pki: PkiPaths, device: DeviceFiles) -> None:
    result = handshake(_server(pki, ciphers="wide"), _client(device, pki, ciphers="wide"))

    assert result.succeeded, result
    assert result.cipher == CSIP_CIPHER


def test_server_refuses_tls13_only_client(pki: PkiPaths, device: DeviceFiles) -> None:
    client = _client(device, pki)
    client.maximum_version = ssl.TLSVersion.TLSv1_3
    client.minimum_version = ssl.TLSVersion.TLSv1_3

    result = handshake(_server(pki), client)

    assert not result.succeeded
    assert result.server_error is not None


def test_contexts_pin_tls12_and_require_certificates(pki: PkiPaths, device: DeviceFiles) -> None:
    server, client = _server(pki), _client(device, pki)

    for context in (server, client):
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2
        assert context.maximum_version == ssl.TLSVersion.TLSv1_2
        assert context.verify_mode == ssl.CERT_REQUIRED
    assert client.check_hostname is True


def test_unknown_cipher_profile_is_refused(pki: PkiPaths) -> None:
    with pytest.raises(TlsConfigError, match="unknown cipher profile"):
        _server(pki, ciphers="fast")


@pytest.mark.parametrize(
    ("version", "level"), [((3, 0, 19), 2), ((3, 1, 0), 2), ((3, 2, 0), 0), ((3, 5, 1), 0)]
)
def test_security_level_drops_to_zero_only_where_openssl_demotes_ccm8(
    version: tuple[int, ...], level: int
) -> None:
    assert cipher_string("csip", openssl_version=version) == f"{CSIP_CIPHER}:@SECLEVEL={level}"


def test_level_zero_cipher_string_still_negotiates_ccm8(
    pki: PkiPaths, device: DeviceFiles
) -> None:
    """The string used on OpenSSL >= 3.2 works in a real handshake (here, on this OpenSSL)."""
    server, client = _server(pki), _client(device, pki)
    for context in (server, client):
        context.set_ciphers(cipher_string("csip", openssl_version=(3, 2, 0)))

    result = handshake(server, client)

    assert result.succeeded, result
    assert result.cipher == CSIP_CIPHER


@needs_openssl
@pytest.mark.skipif(
    ssl.OPENSSL_VERSION_INFO >= (3, 2), reason="level 0 on OpenSSL >= 3.2 admits SHA-1 sigalgs"
)
def test_server_refuses_sha1_handshake_signatures(pki: PkiPaths, device: DeviceFiles) -> None:
    with serving_once(_server(pki)) as (port, result):
        output = _s_client(port, device, pki, groups="P-256", extra=("-sigalgs", "ECDSA+SHA1"))

    assert result.server_error is not None, output


def test_missing_key_file_is_a_config_error(pki: PkiPaths, tmp_path: Path) -> None:
    with pytest.raises(TlsConfigError, match="cannot load certificate"):
        server_context(pki.server_cert, tmp_path / "absent.key", pki.serca_cert)


def test_missing_ca_file_is_a_config_error(
    pki: PkiPaths, device: DeviceFiles, tmp_path: Path
) -> None:
    with pytest.raises(TlsConfigError, match="cannot load CA file"):
        client_context(device.cert, device.key, tmp_path / "absent.pem")


def test_peer_der_is_the_leaf_certificate(pki: PkiPaths, device: DeviceFiles) -> None:
    result = handshake(_server(pki), _client(device, pki))

    assert result.peer_der == load_certificate(device.cert).public_bytes(Encoding.DER)
