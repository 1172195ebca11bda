"""TLS and certificate refusals (issue 12, items 8 and 9): a certificate the MICA signed
for something other than a 2030.5 device is not a device, and peers without a valid
device certificate do not get in."""

from __future__ import annotations

import ssl
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from hardening_testlib import Tally

from openderms.certs.builders import build_device, new_key
from openderms.certs.hardware import HardwareModuleName
from openderms.certs.identity import load_certificate
from openderms.certs.oids import POLICY_TEST, TEST_HARDWARE_TYPE
from openderms.certs.pki import PkiPaths, load_issuer, write_certificates, write_private_key
from openderms.certs.tls import client_context
from openderms.testing.head_end import Sep2Server


def _policyless_device(pki: PkiPaths) -> tuple[Path, Path]:
    paths = PkiPaths.in_directory(pki.directory)
    mica = load_issuer(paths.mica_cert, paths.mica_key)
    key = new_key()
    certificate = build_device(
        mica,
        key.public_key(),
        hardware=HardwareModuleName(TEST_HARDWARE_TYPE.dotted_string, b"no-policy"),
        now=datetime.now(UTC),
        policies=(POLICY_TEST,),  # no device-type policy (IEEE 2030.5 §6.11.7.2)
    )
    name = f"no-policy-{uuid.uuid4().hex[:8]}"  # the PKI is the session's: one per test
    cert_path, key_path = pki.directory / f"{name}.pem", pki.directory / f"{name}.key"
    write_private_key(key_path, key)
    write_certificates(
        cert_path, [certificate, mica.certificate, load_certificate(paths.mca_cert)]
    )
    return cert_path, key_path


async def test_a_mica_signed_certificate_without_device_policy_is_no_device(
    sep2_server: Sep2Server,
) -> None:
    srv = sep2_server
    tally = Tally("certificates that are not 2030.5 devices")
    cert, key = _policyless_device(srv.pki)
    context = client_context(cert, key, srv.pki.serca_cert, check_hostname=False)
    async with httpx.AsyncClient(base_url=srv.base_url, verify=context, timeout=10) as client:
        for path in ("/dcap", "/edev", "/tm"):
            response = await client.get(path)
            tally.check(
                response.status_code == 403, f"no-policy cert GET {path}: {response.status_code}"
            )
    plain = ssl.create_default_context(cafile=str(srv.pki.serca_cert))
    plain.check_hostname = False
    async with httpx.AsyncClient(base_url=srv.base_url, verify=plain, timeout=10) as client:
        try:
            response = await client.get("/dcap")
            tally.check(False, f"no client certificate got {response.status_code}")
        except httpx.HTTPError:
            tally.check(True, "")
    own = await srv.client("real-device").get("/dcap")
    tally.check(own.status_code == 200, f"a real device: {own.status_code}")
    assert tally.report() == []
