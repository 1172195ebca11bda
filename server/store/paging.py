"""List query parameters of IEEE 2030.5 §5.5 (``s`` start, ``a`` after, ``l`` limit)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from openderms.server.errors import BadRequestError

__all__ = ["Page", "parse_page"]


@dataclass(frozen=True, slots=True)
class Page:
    """Which slice of a list to return.

    Attributes
    ----------
    start : int
        Index of the first element (0-based).
    after : int or None
        Only elements whose primary-key time is after this [s since the epoch].
    limit : int
        Most elements to return.
    """

    start: int = 0
    after: int | None = None
    limit: int = 1


#: ASCII digits only: int() would also take "1_0", "+1", spaces, Arabic or full-width digits.
_DIGITS = re.compile(r"[0-9]{1,20}")
#: Largest ``s`` and ``l`` (UInt32) and ``a`` (TimeType, Int64) honoured.
_MAXIMA = {"s": 2**32 - 1, "l": 2**32 - 1, "a": 2**63 - 1}


def _int_param(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    if _DIGITS.fullmatch(raw) is None:
        raise BadRequestError(f"query parameter {name}={raw[:40]!r} is not a non-negative integer")
    value = int(raw)
    if value > _MAXIMA[name]:
        raise BadRequestError(f"query parameter {name} is above {_MAXIMA[name]}")
    return value


def parse_page(query: Mapping[str, str], *, default_limit: int, max_limit: int) -> Page:
    """Read ``s``, ``a`` and ``l``; an absent ``l`` means `default_limit` (2030.5: 1).

    Raises
    ------
    BadRequestError
        A parameter is not a non-negative integer.
    """
    start = _int_param(query, "s") or 0
    after = _int_param(query, "a")
    limit = _int_param(query, "l")
    return Page(
        start=start,
        after=after,
        limit=min(default_limit if limit is None else limit, max_limit),
    )
