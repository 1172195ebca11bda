"""Which webhook callback URLs the VTN will call (server-side request forgery guard).

A callback must be https unless ``allow_http``; a host that is, or resolves to, a
loopback, private, link-local or otherwise non-global address is refused unless
``allow_private`` (a VEN must not make the VTN call into its own network). The literal
check is pure; `resolve_and_check` adds the DNS answers, at subscription time and again
before each delivery (the answers may change).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from openderms.server.openadr.errors import OadrBadRequestError

__all__ = ["CallbackPolicy", "check_callback_url", "resolve_and_check"]


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    allow_http: bool = False
    allow_private: bool = False


def _address_allowed(text: str, policy: CallbackPolicy) -> bool:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return True  # a name: judged by what it resolves to
    return policy.allow_private or address.is_global


def check_callback_url(url: str, policy: CallbackPolicy) -> str:
    """The URL's host if the URL may be called; else OadrBadRequestError (400)."""
    parts = urlsplit(url)
    allowed_schemes = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme not in allowed_schemes:
        raise OadrBadRequestError(f"callbackUrl must be {' or '.join(allowed_schemes)}")
    host = parts.hostname
    if not host:
        raise OadrBadRequestError("callbackUrl has no host")
    if host == "localhost" and not policy.allow_private:
        raise OadrBadRequestError("callbackUrl may not name a loopback or private host")
    if not _address_allowed(host, policy):
        raise OadrBadRequestError("callbackUrl may not name a loopback or private address")
    return host


async def resolve_and_check(url: str, policy: CallbackPolicy, *, timeout_s: float = 5.0) -> None:
    """`check_callback_url`, then every address the host resolves to."""
    host = check_callback_url(url, policy)
    if policy.allow_private:
        return
    try:
        ipaddress.ip_address(host)
        return  # a literal address, already judged
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        answers = await asyncio.wait_for(
            loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), timeout_s
        )
    except (OSError, TimeoutError) as exc:
        raise OadrBadRequestError(f"callbackUrl host {host!r} does not resolve") from exc
    for *_, sockaddr in answers:
        if not _address_allowed(str(sockaddr[0]), policy):
            raise OadrBadRequestError("callbackUrl resolves to a loopback or private address")
