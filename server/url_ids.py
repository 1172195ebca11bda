"""The ``<int:...>`` of every route: ASCII digits within the store's integer ids.

werkzeug's own converter matches any Unicode digit (``\\d``) of any length, so
``/edev/99999999999999999999`` reached PostgreSQL ("integer out of range": 500) and
``/edev/١`` was device 1. With this converter such paths match no route (404).
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

__all__ = ["MAX_ROW_ID", "RowIdConverter", "use_row_ids"]

#: Largest id of a row (PostgreSQL SERIAL, a signed 32-bit integer).
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """An id in a path: 1 to 10 ASCII digits, at most `MAX_ROW_ID`."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # werkzeug's name
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


def use_row_ids(app: Any) -> None:
    """Make ``<int:...>`` in `app`'s routes a `RowIdConverter` (before routes are added)."""
    app.url_map.converters["int"] = RowIdConverter
