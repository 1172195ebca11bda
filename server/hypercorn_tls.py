"""The 2030.5 server TLS settings for hypercorn.

hypercorn builds its own :class:`ssl.SSLContext` in ``Config.create_ssl_context`` from the
fields certfile, keyfile, ca_certs, verify_mode, verify_flags and ciphers. Setting those
fields alone is not enough for 2030.5: hypercorn also allows TLS 1.3 (whose suites ignore
``ciphers``), does not pin the ECDHE curve, and replaces ``options``. So
:func:`hypercorn_config` returns a Config whose ``create_ssl_context`` returns
:func:`openderms.certs.tls.server_context`, with the plain fields set to match (so
hypercorn's ``ssl_enabled`` and its logs see them).

Usage::

    config = hypercorn_config(pki / "server.pem", pki / "server.key", pki / "serca.pem")
    config.bind = ["0.0.0.0:8443"]
    await hypercorn.asyncio.serve(app, config)

Note for the server: hypercorn 0.18 does not pass the client certificate to the ASGI
app (the scope has no ``tls`` extension); ``openderms.server.identity`` reads it from the
transport's ``ssl_object``, and :func:`openderms.certs.tls.peer_identity` (or
:func:`openderms.certs.identity.identity_from_certificate` on the DER) gives its LFDI/SFDI.
Behind a TLS-terminating proxy, use :func:`openderms.certs.identity.identity_from_pem`.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from hypercorn.config import Config

from openderms.certs.errors import TlsConfigError
from openderms.certs.tls import SUITE_B_128_ONLY, cipher_string, server_context

__all__ = ["Sep2HypercornConfig", "hypercorn_config"]


class Sep2HypercornConfig(Config):
    """A hypercorn Config whose TLS context is :func:`~openderms.certs.tls.server_context`."""

    cipher_profile: str = "csip"

    def create_ssl_context(self) -> ssl.SSLContext | None:
        if self.certfile is None or self.keyfile is None:
            return None  # TLS off, as in hypercorn's own Config
        if self.ca_certs is None:
            # 2030.5 TLS is always mutual; never serve TLS that accepts anyone.
            raise TlsConfigError("ca_certs (the SERCA file) is required for 2030.5 TLS")
        context = server_context(
            Path(self.certfile),
            Path(self.keyfile),
            Path(self.ca_certs),
            ciphers=self.cipher_profile,
        )
        # 2030.5 is HTTP/1.1 (clause 5.1); say so rather than leave ALPN unset.
        context.set_alpn_protocols(["http/1.1"])
        return context


def hypercorn_config(
    cert: Path, key: Path, ca: Path, *, ciphers: str = "csip"
) -> Sep2HypercornConfig:
    """A hypercorn Config serving 2030.5 mutual TLS (see the module docstring).

    Parameters
    ----------
    cert, key, ca
        As for :func:`openderms.certs.tls.server_context`.
    ciphers
        Cipher profile name, ``"csip"`` or ``"wide"``.
    """
    config = Sep2HypercornConfig()
    config.cipher_profile = ciphers
    config.certfile = str(cert)
    config.keyfile = str(key)
    config.ca_certs = str(ca)
    config.verify_mode = ssl.CERT_REQUIRED
    config.verify_flags = SUITE_B_128_ONLY
    config.ciphers = cipher_string(ciphers)
    config.alpn_protocols = ["http/1.1"]
    return config
