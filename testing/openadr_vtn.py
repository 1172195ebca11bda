"""A VTN app in memory (quart's test client) with helpers to act as its clients."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any

import httpx
from quart.typing import TestClientProtocol

from openderms.server.openadr import auth
from openderms.server.openadr.scopes import Role
from openderms.server.store.db import Store

__all__ = ["START", "Clock", "RunningVtn", "Vtn"]

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@dataclass
class Clock:
    now: float = START

    def __call__(self) -> float:
        return self.now


@dataclass
class Vtn:
    """The VTN app, its store and helpers to act as a client."""

    store: Store
    client: TestClientProtocol
    clock: Clock
    tokens: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    def add_client(self, client_id: str, role: Role, **kwargs: Any) -> str:
        issued = self.store.call(
            auth.create_client, client_id=client_id, role=role, now=self.clock(), **kwargs
        )
        self.secrets[client_id] = issued.client_secret
        return issued.client_secret

    async def token(self, client_id: str, scope: str | None = None) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": self.secrets[client_id],
        }
        if scope is not None:
            form["scope"] = scope
        response = await self.client.post("/auth/token", form=form)
        assert response.status_code == 200, await response.get_data()
        token: str = (await response.get_json())["access_token"]
        self.tokens[client_id] = token
        return token

    async def call(
        self, method: str, path: str, who: str | None, body: Any = None, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        response = await self.client.open(
            path, method=method, json=body, headers=headers, **kwargs
        )
        payload = (
            await response.get_json() if response.content_type == "application/json" else None
        )
        return response.status_code, payload

    async def made(self, path: str, who: str, body: Any) -> dict[str, Any]:
        status, payload = await self.call("POST", path, who, body)
        assert status == 201, payload
        made: dict[str, Any] = payload
        return made


@dataclass
class RunningVtn:
    """`openderms server` with its VTN (and admin API) on real HTTPS listeners."""

    base_url: str
    admin_url: str
    admin_token: str
    ca_file: str
    store: Store
    secrets: dict[str, str]

    @property
    def verify(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    async def token(self, client: httpx.AsyncClient, name: str) -> dict[str, str]:
        """Authorization headers with a fresh token of client `name`."""
        answer = await client.post(
            f"{self.base_url}/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": name,
                "client_secret": self.secrets[name],
            },
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}
