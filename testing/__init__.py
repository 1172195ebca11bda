"""The test harness as a library: virtual clocks, a running head-end and gateway, site rigs,
2030.5 builders and example resources.

Used by the repository's tests (their pytest fixtures live in conftest files and call this
code) and by the conformance suite, which cannot import ``tests/``. Nothing in the product
(server, client, schemas, certs, the CLI) imports it; an import-linter contract checks that.
It imports no pytest: skipping and failing are the caller's policy.
"""
