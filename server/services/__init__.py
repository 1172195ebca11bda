"""Service layer: the rules and the transaction of each function set.

Every service function takes a `Session`, a `ServiceContext` (``now``, settings, change
sink) and, where a client certificate is involved, its `Scope`. Services commit their own
transaction and report changed subscribable resources to ``ctx.changes`` before the commit.

Client-facing (called by the routes): `end_device`, `derp`, `der`, `mirror`, `events`.
Authoring (called by the admin API, never SQL of its own): `registration`
(out-of-band registration, aggregators), `programs` (groups, programs, controls with
supersede and cancel, DefaultDERControl, DERCurve, device-private programs).
"""
