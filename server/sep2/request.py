"""Shared helpers of the 2030.5 routes: who is calling, the context, paging, bodies, XML.

A route reads its path and query through these, makes one service call through
`call_service`, and answers with `xml_response`. Errors are raised, never built here;
`openderms.server.app` turns them into 2030.5 Error bodies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Concatenate, ParamSpec, TypeVar

from cryptography import x509
from quart import Response, current_app, request
from sqlmodel import Session

from openderms.certs.identity import certificate_policies, identity_from_certificate
from openderms.certs.oids import DEVICE_GENERIC, DEVICE_MOBILE, DEVICE_POST_MANUFACTURE
from openderms.schemas.sep2.codec import SEP_XML, CodecLimits, encode
from openderms.server.changes import ChangeSink
from openderms.server.config import ServerSettings
from openderms.server.errors import TooManyRequestsError, UnauthenticatedError
from openderms.server.identity import client_certificate_der
from openderms.server.poll_cache import PollCache
from openderms.server.scope import Scope, ServiceContext
from openderms.server.sep2.profiles import decode_from_client, profile_named
from openderms.server.sep2.rate_limit import WriteRateLimiter
from openderms.server.store.db import Store
from openderms.server.store.paging import Page, parse_page

__all__ = [
    "APP_STATE_KEY",
    "AppState",
    "call_service",
    "created",
    "decode_body",
    "no_content",
    "page",
    "request_scope",
    "service_context",
    "state",
    "xml_response",
]

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")

APP_STATE_KEY = "OPENDERMS_SERVER"


@dataclass(frozen=True, slots=True)
class AppState:
    """What the routes of one app share (kept in ``app.config``)."""

    settings: ServerSettings
    store: Store
    changes: ChangeSink
    clock: Callable[[], int]
    poll_cache: PollCache
    write_limiter: WriteRateLimiter


def state() -> AppState:
    """The shared state of the current app."""
    found: AppState = current_app.config[APP_STATE_KEY]
    return found


#: The device-type policies of IEEE 2030.5 §6.11.7.2; a device certificate carries one.
_DEVICE_TYPE_POLICIES = frozenset({DEVICE_GENERIC, DEVICE_MOBILE, DEVICE_POST_MANUFACTURE})


@lru_cache(maxsize=65_536)
def _scope_of_certificate(der: bytes) -> Scope:
    # The identity is a pure function of the DER bytes; caching saves a parse per request.
    policies = certificate_policies(x509.load_der_x509_certificate(der))
    if not policies & _DEVICE_TYPE_POLICIES:
        # Chained to the MICA, but issued for something else (not a 2030.5 device).
        raise UnauthenticatedError("the certificate carries no 2030.5 device-type policy")
    identity = identity_from_certificate(der)
    return Scope(lfdi=identity.lfdi, sfdi=identity.sfdi, is_aggregator=identity.is_aggregator)


def request_scope() -> Scope:
    """The caller's scope, from its verified certificate.

    Raises
    ------
    UnauthenticatedError
        No certificate we can believe came with the request.
    """
    settings = state().settings
    der = client_certificate_der(
        request.scope,  # type: ignore[arg-type]  # quart's scope is the ASGI dict
        trusted_proxies=settings.trusted_proxies,
        header_name=settings.client_cert_header,
    )
    if der is None:
        raise UnauthenticatedError("a verified client certificate is required")
    scope = _scope_of_certificate(der)
    if request.method not in ("GET", "HEAD") and not scope.is_aggregator:
        # Aggregators write for many devices: their volume is the utility's contract.
        wait = state().write_limiter.retry_after_s(scope.lfdi, asyncio.get_running_loop().time())
        if wait is not None:
            raise TooManyRequestsError("this certificate writes too fast", retry_after_s=wait)
    return scope


def service_context() -> ServiceContext:
    current = state()
    return ServiceContext(now=current.clock(), settings=current.settings, changes=current.changes)


def page() -> Page:
    settings = state().settings
    return parse_page(
        request.args,
        default_limit=settings.list_limit_default,
        max_limit=settings.page_limit_max,
    )


async def decode_body(expected: type[T] | tuple[type, ...]) -> Any:
    """The request body decoded by the hardened codec as one of `expected`.

    quart refuses bodies over ``MAX_CONTENT_LENGTH`` (413) before reading them; the codec
    bounds size and depth again and refuses DTDs and unknown elements (400).
    """
    data = await request.get_data(cache=False, as_text=False, parse_form_data=False)
    settings = state().settings
    limits = CodecLimits(max_body_bytes=settings.max_body_bytes)
    accepted = tuple(profile_named(name) for name in settings.accepted_profiles)
    return decode_from_client(data, expected, limits=limits, accepted=accepted)


async def call_service(
    fn: Callable[Concatenate[Session, P], R], *args: P.args, **kwargs: P.kwargs
) -> R:
    """Run one service function with a fresh session (GET and HEAD only read: autocommit)."""
    store = state().store
    if request.method in ("GET", "HEAD"):
        return await store.run_read(fn, *args, **kwargs)
    return await store.run(fn, *args, **kwargs)


def xml_response(
    obj: object | bytes, *, status: int = 200, location: str | None = None
) -> Response:
    """An ``application/sep+xml`` response (`obj` encoded unless already bytes)."""
    body = obj if isinstance(obj, bytes) else encode(obj)
    response = Response(body, status=status, content_type=SEP_XML)
    if location is not None:
        response.headers["Location"] = location
    return response


def created(location: str) -> Response:
    """201 Created with a Location header and no body (IEEE 2030.5 §5.3: POST)."""
    response = Response(b"", status=201)
    response.headers["Location"] = location
    return response


def no_content() -> Response:
    """204 No Content (IEEE 2030.5 §5.3: a successful PUT)."""
    return Response(b"", status=204)
