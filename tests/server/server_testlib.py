"""The PostgreSQL policy of the head-end tests (skip, or fail when CI=true).

The head-end itself (a served app, device certificates, clients, enrolment) is
``openderms.testing.head_end``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest
from sqlalchemy import text

from openderms.server.store.db import make_engine

T = TypeVar("T")

#: The PostgreSQL server of the tests (CI sets it; see the brief's rules on skipping).
PG_ENV = "OPENDERMS_TEST_POSTGRES_URL"


def postgres_url() -> str:
    """$OPENDERMS_TEST_POSTGRES_URL; skips when unset, fails instead when CI=true."""
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {PG_ENV} is not set")
        pytest.skip(f"{PG_ENV} is not set (PostgreSQL tests need it)")
    return url


@contextmanager
def fresh_postgres_schema(url: str) -> Iterator[str]:
    """A new empty schema on ``url``, dropped with everything in it afterwards.

    An unreachable server skips the test, or fails it when CI=true.
    """
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # unreachable server: fail in CI, else skip
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_ENV} unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {PG_ENV} unreachable: {exc}")
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
