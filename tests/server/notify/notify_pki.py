"""A test PKI for notification delivery and the TLS contexts of both ends."""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from openderms.certs import pki, tls
from openderms.certs.identity import load_certificates


@dataclass(frozen=True)
class NotifyPki:
    paths: pki.PkiPaths
    client: pki.DeviceFiles  # the 2030.5 client that hosts the notification listener

    @property
    def server_cert_sha256(self) -> str:
        leaf = load_certificates(self.paths.server_cert)[0]
        return hashlib.sha256(leaf.public_bytes(Encoding.DER)).hexdigest().upper()

    def listener_context(self) -> ssl.SSLContext:
        """The client's listener: its device cert, requires a cert chaining to the SERCA."""
        return tls.server_context(self.client.cert, self.client.key, self.paths.serca_cert)

    def server_client_context(self) -> ssl.SSLContext:
        """The head-end's outgoing context: its server cert as the client certificate.

        The listener's device certificate names no host (2030.5 authenticates by chain).
        """
        return tls.client_context(
            self.paths.server_cert,
            self.paths.server_key,
            self.paths.serca_cert,
            check_hostname=False,
        )


def make_notify_pki(directory: Path) -> NotifyPki:
    paths = pki.init_pki(directory)
    return NotifyPki(paths=paths, client=pki.issue_device(directory, "listener"))
