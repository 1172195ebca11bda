"""Storage of the 2030.5 head-end: engine/session factory, table models, migrations."""
