"""Exports as Apache Parquet (pyarrow), with their time range and row limit stated.

The same rows as the CSV exports; the Parquet file's schema metadata carries
``openderms.since``/``until`` (epoch s), ``row_limit`` and ``truncated``, and the HTTP
answer says the same in ``X-Openderms-*`` headers, so a file read later still tells what
it covers.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["PARQUET_TYPE", "parquet_bytes"]

PARQUET_TYPE = "application/vnd.apache.parquet"


def parquet_bytes(
    header: Sequence[str], rows: Sequence[Sequence[Any]], metadata: dict[str, str]
) -> bytes:
    """One Parquet file of ``rows`` with columns ``header`` and ``metadata`` (strings)."""
    columns = {name: pa.array([row[i] for row in rows]) for i, name in enumerate(header)}
    table = pa.table(columns)
    table = table.replace_schema_metadata(
        {f"openderms.{k}".encode(): v.encode() for k, v in metadata.items()}
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")  # type: ignore[no-untyped-call]
    return buffer.getvalue()
