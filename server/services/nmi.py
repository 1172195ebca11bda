"""The Australian National Metering Identifier (NMI), CSIP-AUS's ``connectionPointId``.

AEMO's NMI procedure: 10 characters, digits and upper-case letters except ``O`` and ``I``
(which read as digits), optionally followed by a checksum digit. The checksum walks the
characters from the right, doubling the ASCII code of every other one (the rightmost
first), sums the decimal digits of all the results, and is the amount that brings that
sum up to a multiple of 10.
"""

from __future__ import annotations

import re

__all__ = ["NMI_LENGTH", "nmi_checksum", "nmi_problem"]

#: Characters of an NMI without its checksum.
NMI_LENGTH = 10
_NMI = re.compile(r"[0-9A-HJ-NP-Z]{10}")


def nmi_checksum(nmi: str) -> int:
    """The checksum digit of a 10-character NMI."""
    total = 0
    for position, char in enumerate(reversed(nmi)):
        value = ord(char) * (2 if position % 2 == 0 else 1)
        total += sum(int(digit) for digit in str(value))
    return (10 - total % 10) % 10


def nmi_problem(text: str) -> str | None:
    """What is wrong with `text` as an NMI (10 characters, or 11 with the checksum), or
    None when it is one."""
    if len(text) not in (NMI_LENGTH, NMI_LENGTH + 1):
        return f"an NMI has 10 characters (11 with its checksum), got {len(text)}"
    if not _NMI.fullmatch(text[:NMI_LENGTH]):
        return "an NMI is digits and upper-case letters other than O and I"
    if len(text) == NMI_LENGTH + 1:
        expected = nmi_checksum(text[:NMI_LENGTH])
        if text[-1] != str(expected):
            return f"the NMI checksum is {expected}, got {text[-1]!r}"
    return None
