"""Utility head-end: IEEE 2030.5 function sets, admin API, notifications, storage.

Layers (each imports only the ones below it)::

    cli.py, main.py, runner.py     serving: `openderms server`, hypercorn listeners
    app.py, sep2/*.py              quart app; one route module per function set (thin)
    identity.py                    the TLS peer certificate (or trusted proxy header)
    services/*.py                  rules + transaction; the admin API calls these too
    mappers/*.py                   pure row <-> 2030.5 resource functions, ``now`` passed in
    store/crud/*.py                queries, each taking the scope or owner it filters by
    store/models/*.py, db.py       sqlmodel tables, engine/session factory, migrations

URIs come from `openderms.server.uris` only; errors from `openderms.server.errors`.
"""
