"""List paging and link helpers (IEEE 2030.5-2018 §5.4 "List ordering and paging").

Lists take query parameters ``s`` (start index), ``a`` (after time) and ``l`` (limit) and
carry ``all`` (total count) and ``results`` (count in this page). Clients follow hrefs the
server gives; nothing here invents a path.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["list_items", "page_href", "pages_complete"]


def page_href(href: str, start: int, limit: int) -> str:
    """``href`` with its ``s`` and ``l`` query parameters set.

    Parameters
    ----------
    href : str
        A list href given by the server (may already carry a query).
    start : int
        Index of the first item [items].
    limit : int
        Maximum number of items in the page [items].
    """
    if start < 0 or limit < 1:
        raise ValueError("start must be >= 0 and limit >= 1")
    parts = urlsplit(href)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("s", "l")]
    query += [("s", str(start)), ("l", str(limit))]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def list_items(resource: Any) -> list[Any]:  # Any: any generated *List class
    """The items of a 2030.5 ``*List`` resource (``DERControlList.DERControl``, ...).

    Every list class has exactly one repeated element named after the list without
    ``List`` (sep.xsd naming rule), except ``ActiveDERControlList`` -> ``DERControl``.
    """
    name = type(resource).__name__
    if not name.endswith("List"):
        raise TypeError(f"{name} is not a 2030.5 list")
    item_name = name.removesuffix("List").removeprefix("Active")
    items = getattr(resource, item_name, None)
    if items is None:
        raise TypeError(f"{name} has no {item_name} items")
    return list(items)


def pages_complete(fetched: int, page_results: int, total: int) -> bool:
    """Whether paging is done: everything fetched, or the server returned an empty page.

    Parameters
    ----------
    fetched : int
        Items collected so far, this page included.
    page_results : int
        ``results`` of the page just fetched.
    total : int
        ``all`` of the page just fetched.
    """
    return page_results == 0 or fetched >= total
