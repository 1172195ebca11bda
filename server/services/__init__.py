"""Service layer: the rules and the transaction of each function set.

Every service function takes a `Session`, a `ServiceContext` (``now``, settings, change
sink) and, where a client certificate is involved, its `Scope`. Services commit their own
transaction. The admin API calls the ``admin_*`` modules; routes call the others.
"""
