"""2030.5 function sets: one route module per function set (thin: parse, scope, service).

`FUNCTION_SETS` lists the route modules; the app registers each one's ``blueprint`` from
it. Routes take their rules from the resource declarations (`openderms.server.uris`).

Adding a 2030.5 function set (say Pricing) touches one file per layer, each named for the
function set:

==================  =====================================================================
layer               file
==================  =====================================================================
wire types          ``schemas/sep2`` (the bindings already hold every 2030.5 resource)
resources           ``server/uris.py``: one `Resource` line per resource (path template,
                    subscribable or not); href builders, route rules and notification
                    patterns derive from it
store: tables       ``server/store/models/pricing.py`` (and its alembic migration under
                    ``server/store/migrations/versions/``)
store: queries      ``server/store/crud/pricing.py``
mappers             ``server/mappers/pricing.py``: rows -> 2030.5 resources, pure
services            ``server/services/pricing.py``: rules, access checks, the reads the
                    routes call; ``RENDERINGS`` for its subscribable resources
routes              ``server/sep2/pricing.py`` (``blueprint``), listed in `FUNCTION_SETS`
==================  =====================================================================

A test (``tests/server/test_server_resources.py``) checks that every declared resource is
routed and every subscribable one has exactly one rendering.
"""

from openderms.server.sep2 import (
    dcap,
    der,
    derp,
    end_device,
    fsa,
    log_event,
    metering_mirror,
    response,
    subscription,
)

__all__ = ["FUNCTION_SETS"]

#: The route module of every function set the server serves, in registration order.
FUNCTION_SETS = (
    dcap,
    end_device,
    fsa,
    derp,
    der,
    metering_mirror,
    response,
    log_event,
    subscription,
)
