"""List query parameters of IEEE 2030.5 §5.5 (``s`` start, ``a`` after, ``l`` limit)."""

from __future__ import annotations

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


def _int_param(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequestError(f"query parameter {name}={raw!r} is not an integer") from None
    if value < 0:
        raise BadRequestError(f"query parameter {name} must not be negative")
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
