"""Typed errors of :mod:`openderms.certs`.

Every error derives from :class:`CertsError`, so a caller at a boundary (the CLI, a route)
can catch the whole family in one place; the subclasses say what went wrong.
"""

from __future__ import annotations

__all__ = [
    "CertificateFormatError",
    "CertsError",
    "IdentityError",
    "PkiError",
    "PkiExistsError",
    "PkiMissingError",
    "TlsConfigError",
]


class CertsError(Exception):
    """Base class of every error raised by :mod:`openderms.certs`."""


class CertificateFormatError(CertsError, ValueError):
    """The bytes or file are not a certificate (or key) we can parse."""


class IdentityError(CertsError, ValueError):
    """An LFDI, SFDI or fingerprint is malformed (IEEE 2030.5 clause 6.3.3, 6.3.4)."""


class PkiError(CertsError):
    """A PKI directory or a certificate request cannot be served."""


class PkiExistsError(PkiError, FileExistsError):
    """A file would be overwritten (keys are never overwritten silently)."""


class PkiMissingError(PkiError, FileNotFoundError):
    """A file the PKI needs (an issuer certificate or key) does not exist."""


class TlsConfigError(CertsError, ValueError):
    """A TLS context cannot be built as asked (unknown cipher profile, bad files)."""
