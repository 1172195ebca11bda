"""Autogenerate an alembic revision from the table models (a developer tool).

Usage: ``python -m openderms.server.store.revision "add foo"``. It migrates a scratch
SQLite database to head, then compares it with the models.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config

from openderms.server.store.db import MIGRATIONS_DIR, make_engine, upgrade_to_head


def main(argv: list[str]) -> int:
    message = argv[0] if argv else "revision"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        engine = make_engine(url)
        upgrade_to_head(engine)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message=message, autogenerate=True)
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
