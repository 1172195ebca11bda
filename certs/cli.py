"""``openderms certs``: make a test PKI, issue device certificates, print identities.

Only argparse is imported here; the handlers import the PKI code when they run, so that
``openderms --help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]

logger = logging.getLogger(__name__)

_DESCRIPTION = """\
IEEE 2030.5 certificates for tests and demos. A test PKI is a SERCA (root) -> MCA ->
MICA chain; devices and the server get ECDSA P-256 certificates from the MICA that never
expire (notAfter 99991231235959Z), as 2030.5 clause 6.11 requires. Private keys are
written with mode 0600. Never use a test PKI in production: its certificates carry the
2030.5 test policy."""

_INIT_EPILOG = """\
files written in DIR:
  serca.pem serca.key   the root; give serca.pem to both ends as the CA file
  mca.pem   mca.key     manufacturer CA
  mica.pem  mica.key    manufacturer issuing CA (signs devices)
  chain.pem             MICA + MCA, e.g. for `openssl verify -untrusted chain.pem`
  server.pem server.key server certificate chain for localhost and 127.0.0.1

example:
  openderms certs init pki/
  openderms certs device pki/ inverter1
  openderms certs id pki/inverter1.pem"""


def register(subparsers: Any) -> None:  # Any: argparse's private _SubParsersAction type
    """Add the ``certs`` verb and its sub-verbs to the ``openderms`` parser."""
    parser = subparsers.add_parser(
        "certs",
        help="make a test 2030.5 PKI, issue device certificates, print LFDI/SFDI",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="certs_verb", metavar="VERB", required=True)

    init = verbs.add_parser(
        "init",
        help="make a test PKI (SERCA, MCA, MICA, server certificate) in DIR",
        description="Make a test PKI in DIR (created if missing).",
        epilog=_INIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("directory", metavar="DIR", type=Path, help="PKI directory")
    init.add_argument(
        "--force", action="store_true", help="replace an existing PKI (deletes its keys)"
    )
    init.add_argument(
        "--server-dns",
        metavar="NAME",
        action="append",
        help="DNS name of the server certificate (repeatable; default: localhost)",
    )
    init.add_argument(
        "--server-ip",
        metavar="ADDR",
        action="append",
        help="IP address of the server certificate (repeatable; default: 127.0.0.1)",
    )
    init.set_defaults(handler=_init)

    device = verbs.add_parser(
        "device",
        help="issue DIR/NAME.pem and DIR/NAME.key signed by the MICA",
        description=(
            "Issue a 2030.5 device certificate signed by the MICA of DIR: ECDSA P-256, "
            "SHA-256, the generic-device and test policies, a HardwareModuleName "
            "(RFC 4108) with hwSerialNum SERIAL, notAfter 99991231235959Z. NAME.pem holds "
            "the chain a client sends (device, MICA, MCA). Prints the LFDI and SFDI."
        ),
    )
    device.add_argument("directory", metavar="DIR", type=Path, help="PKI directory")
    device.add_argument("name", metavar="NAME", help="file name stem ([A-Za-z0-9._-])")
    device.add_argument(
        "--aggregator",
        action="store_true",
        help="add the aggregator (2030.5 service-provider, 1.3.6.1.4.1.40732.2.3) policy",
    )
    device.add_argument(
        "--serial", metavar="SERIAL", help="hwSerialNum of the device (default: NAME)"
    )
    device.set_defaults(handler=_device)

    ident = verbs.add_parser(
        "id",
        help="print the LFDI and SFDI of a certificate",
        description=(
            "Print the LFDI (first 160 bits of SHA-256 over the DER certificate, hex) and "
            "the SFDI (first 36 bits as decimal plus a check digit) of CERT, the first "
            "certificate of a PEM file or a DER file (IEEE 2030.5 clause 6.3)."
        ),
    )
    ident.add_argument("certificate", metavar="CERT", type=Path, help="PEM or DER file")
    ident.add_argument(
        "--check",
        action="store_true",
        help="also check CERT against the 2030.5 device certificate profile; exit 1 if it "
        "breaks a rule",
    )
    ident.set_defaults(handler=_id)


def _init(args: argparse.Namespace) -> int:
    from openderms.certs.errors import CertsError
    from openderms.certs.pki import init_pki

    try:
        paths = init_pki(
            args.directory,
            force=args.force,
            server_dns_names=tuple(args.server_dns or ("localhost",)),
            server_ip_addresses=tuple(args.server_ip or ("127.0.0.1",)),
        )
    except (CertsError, ValueError) as exc:
        return _fail(exc)
    _out(f"test PKI in {paths.directory}: serca.pem (CA file), server.pem, server.key")
    return 0


def _device(args: argparse.Namespace) -> int:
    from openderms.certs.errors import CertsError
    from openderms.certs.pki import issue_device

    try:
        files = issue_device(
            args.directory, args.name, aggregator=args.aggregator, serial=args.serial
        )
    except CertsError as exc:
        return _fail(exc)
    _out(f"certificate: {files.cert}\nkey:         {files.key}")
    _out(f"LFDI: {files.identity.lfdi}\nSFDI: {files.identity.sfdi}")
    return 0


def _id(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives.serialization import Encoding

    from openderms.certs.errors import CertsError
    from openderms.certs.identity import identity_from_certificate, load_certificate
    from openderms.certs.profile import device_profile_violations

    try:
        certificate = load_certificate(args.certificate)
        identity = identity_from_certificate(certificate.public_bytes(Encoding.DER))
    except (CertsError, OSError) as exc:
        return _fail(exc)
    _out(f"LFDI: {identity.lfdi}\nSFDI: {identity.sfdi}")
    if identity.is_aggregator:
        _out("aggregator: yes")
    if not args.check:
        return 0
    violations = device_profile_violations(certificate)
    for violation in violations:
        _out(f"profile: {violation.rule}: {violation.detail}")
    if not violations:
        _out("profile: OK")
    return 1 if violations else 0


def _out(text: str) -> None:
    # The CLI's output is its product, so it goes to stdout, not to the log.
    sys.stdout.write(text + "\n")


def _fail(exc: Exception) -> int:
    logger.error("%s", exc)
    return 1
