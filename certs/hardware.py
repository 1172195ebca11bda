"""RFC 4108 HardwareModuleName, the device name of an IEEE 2030.5 certificate.

::

    HardwareModuleName ::= SEQUENCE {
        hwType       OBJECT IDENTIFIER,
        hwSerialNum  OCTET STRING }

IEEE 2030.5-2018 clause 6.11.7.4 puts it in subjectAltName as an ``otherName`` of type
``id-on-hardwareModuleName``. cryptography carries otherName values as opaque DER, so this
module encodes and decodes the two-field sequence itself (a few lines of X.690 DER, no
ASN.1 dependency).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from openderms.certs.errors import CertificateFormatError
from openderms.certs.oids import HARDWARE_MODULE_NAME

__all__ = ["HardwareModuleName", "hardware_module_name"]

_TAG_OCTET_STRING = 0x04
_TAG_OID = 0x06
_TAG_SEQUENCE = 0x30


@dataclass(frozen=True)
class HardwareModuleName:
    """The hardware a device certificate was made for.

    Attributes
    ----------
    hw_type
        Dotted OID naming the kind of hardware, under the maker's enterprise arc.
    hw_serial
        The maker's serial number of this unit (raw octets).
    """

    hw_type: str
    hw_serial: bytes

    def to_der(self) -> bytes:
        """Encode as the DER of the HardwareModuleName SEQUENCE."""
        body = _tlv(_TAG_OID, _encode_oid(self.hw_type)) + _tlv(_TAG_OCTET_STRING, self.hw_serial)
        return _tlv(_TAG_SEQUENCE, body)

    def to_other_name(self) -> x509.OtherName:
        """The subjectAltName entry (``otherName``) that carries this name."""
        return x509.OtherName(HARDWARE_MODULE_NAME, self.to_der())

    @classmethod
    def from_der(cls, der: bytes) -> HardwareModuleName:
        """Decode the DER of a HardwareModuleName SEQUENCE.

        Raises
        ------
        CertificateFormatError
            If the bytes are not exactly one such SEQUENCE.
        """
        body, rest = _read(der, _TAG_SEQUENCE)
        if rest:
            raise CertificateFormatError("trailing bytes after HardwareModuleName")
        oid_body, body = _read(body, _TAG_OID)
        serial, body = _read(body, _TAG_OCTET_STRING)
        if body:
            raise CertificateFormatError("extra fields in HardwareModuleName")
        return cls(hw_type=_decode_oid(oid_body), hw_serial=serial)


def hardware_module_name(certificate: x509.Certificate) -> HardwareModuleName | None:
    """The HardwareModuleName in the subjectAltName of ``certificate``, if it has one."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    for other in san.value.get_values_for_type(x509.OtherName):
        if other.type_id == HARDWARE_MODULE_NAME:
            return HardwareModuleName.from_der(other.value)
    return None


def _tlv(tag: int, value: bytes) -> bytes:
    length = len(value)
    if length < 0x80:
        return bytes([tag, length]) + value
    length_bytes = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length_bytes)]) + length_bytes + value


def _read(data: bytes, tag: int) -> tuple[bytes, bytes]:
    """Split one TLV with ``tag`` off the front of ``data``: (value, rest)."""
    if len(data) < 2 or data[0] != tag:
        raise CertificateFormatError(f"expected DER tag 0x{tag:02x}")
    length = data[1]
    offset = 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or len(data) < 2 + count:
            raise CertificateFormatError("bad DER length")
        length = int.from_bytes(data[2 : 2 + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise CertificateFormatError("DER value runs past the end")
    return data[offset:end], data[end:]


def _encode_oid(dotted: str) -> bytes:
    try:
        arcs = [int(part) for part in dotted.split(".")]
    except ValueError as exc:
        raise CertificateFormatError(f"not a dotted OID: {dotted!r}") from exc
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39) or min(arcs) < 0:
        raise CertificateFormatError(f"not a valid OID: {dotted!r}")
    out = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return bytes(out)


def _decode_oid(body: bytes) -> str:
    if not body or body[-1] & 0x80:
        raise CertificateFormatError("truncated OID")
    values: list[int] = []
    current = 0
    for byte in body:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            values.append(current)
            current = 0
    first = values[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(arc) for arc in head + values[1:])
