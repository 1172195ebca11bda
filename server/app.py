"""The 2030.5 head-end as a quart app: `create_app(settings, store)`.

Every error leaves as a 2030.5 ``Error`` body (``application/sep+xml``) with the status
of its typed error: service errors (`openderms.server.errors`), codec errors
(`SepXmlError`: 400, 413), and HTTP errors of routing (404, 405) and size (413).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from quart import Quart, Response
from werkzeug.exceptions import HTTPException

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import SEP_XML, encode
from openderms.schemas.sep2.errors import ErrorReasonCode, SepXmlError, error_body
from openderms.server.changes import ChangeSink, NullChangeSink
from openderms.server.clock import utc_now_s
from openderms.server.config import ServerSettings
from openderms.server.errors import ServerError, TooManyRequestsError
from openderms.server.poll_cache import PollCache
from openderms.server.sep2 import FUNCTION_SETS
from openderms.server.sep2.rate_limit import WriteRateLimiter
from openderms.server.sep2.request import APP_STATE_KEY, AppState
from openderms.server.store.db import Store
from openderms.server.store.errors import StoreUnavailableError
from openderms.server.url_ids import use_row_ids

__all__ = ["create_app"]

logger = logging.getLogger(__name__)


#: Retry-After of a 503 while the database is away [s].
STORE_RETRY_AFTER_S = 5


def _error(status: int, reason: ErrorReasonCode) -> Response:
    return Response(encode(sep.Error(reasonCode=int(reason))), status=status, content_type=SEP_XML)


def create_app(
    settings: ServerSettings,
    store: Store,
    *,
    changes: ChangeSink | None = None,
    clock: Callable[[], int] = utc_now_s,
) -> Quart:
    """Build the 2030.5 app over `store`.

    Parameters
    ----------
    settings
        Head-end settings (rates, limits, trusted proxies, ...).
    store
        An open store at schema head.
    changes
        Where services report changed resources (the notification outbox); none by default.
    clock
        The time source of requests [s since the epoch]; tests pass a fixed clock.
    """
    app = Quart("openderms.server")
    use_row_ids(app)
    # quart refuses larger bodies with 413 before reading them (bounded before parsing).
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config[APP_STATE_KEY] = AppState(
        settings=settings,
        store=store,
        changes=changes or NullChangeSink(),
        clock=clock,
        poll_cache=PollCache(settings.poll_cache_entries),
        write_limiter=WriteRateLimiter(settings.device_writes_per_s, settings.device_write_burst),
    )
    for module in FUNCTION_SETS:
        app.register_blueprint(module.blueprint)

    @app.errorhandler(ServerError)
    async def _server_error(exc: ServerError) -> Response:
        response = _error(exc.http_status, exc.reason_code)
        if isinstance(exc, TooManyRequestsError):
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    @app.errorhandler(SepXmlError)
    async def _xml_error(exc: SepXmlError) -> Response:
        logger.info("refused a body: %s", exc)
        return Response(error_body(exc), status=exc.http_status, content_type=SEP_XML)

    @app.errorhandler(StoreUnavailableError)
    async def _store_unavailable(exc: StoreUnavailableError) -> Response:
        logger.warning("answered 503: %s", exc)
        response = _error(503, ErrorReasonCode.RESOURCE_LIMIT_REACHED)
        response.headers["Retry-After"] = str(STORE_RETRY_AFTER_S)
        return response

    @app.errorhandler(HTTPException)
    async def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        reason = (
            ErrorReasonCode.RESOURCE_LIMIT_REACHED
            if status == 413
            else ErrorReasonCode.INVALID_REQUEST_FORMAT
        )
        return _error(status, reason)

    @app.errorhandler(Exception)
    async def _unexpected(exc: Exception) -> Response:
        # A 2030.5 Error body even for a bug, never quart's HTML page.
        logger.error("unexpected %s: %s", type(exc).__name__, exc, exc_info=exc)
        return _error(500, ErrorReasonCode.INVALID_REQUEST_FORMAT)

    return app
