"""Server-side setup during a server test: who registers devices and issues controls.

A server under test is driven through a :class:`Driver`: the built-in one calls the
openderms admin API; :class:`HttpHookDriver` posts each action as JSON to a URL the lab
configures (a thin adapter in front of any head-end); :class:`InteractiveDriver` asks a
person at a prompt and waits (bounded) for them to confirm.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

__all__ = [
    "ClientRef",
    "Driver",
    "DriverDeclinedError",
    "DriverError",
    "HttpHookDriver",
    "InteractiveDriver",
    "OpenDermsAdminDriver",
]


class DriverError(RuntimeError):
    """The driver tried and the server-side action failed (the procedure fails)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class DriverDeclinedError(RuntimeError):
    """The driver cannot do this action (the procedure is skipped, with this reason)."""


@dataclass(frozen=True)
class ClientRef:
    """The virtual client a setup action is about."""

    name: str
    lfdi: str
    sfdi: int


class Driver(Protocol):
    async def register_device(
        self, client: ClientRef, *, pin: int | None, under_aggregator: ClientRef | None
    ) -> dict[str, Any]: ...

    async def create_control(
        self,
        client: ClientRef,
        *,
        start: int | None,
        duration_s: int,
        modes: dict[str, Any],
        randomize_start_s: int | None,
        randomize_duration_s: int | None,
        description: str,
    ) -> dict[str, Any]: ...

    async def cancel_control(self, control_id: str, *, randomized: bool) -> dict[str, Any]: ...

    async def set_default_control(
        self, client: ClientRef, *, modes: dict[str, Any], set_grad_w: int | None
    ) -> dict[str, Any]: ...

    async def set_rates(
        self, client: ClientRef | None, *, poll_s: int | None, post_s: int | None
    ) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


#: Procedure mode names (wire element names of DERControlBase) -> openderms admin fields.
_ADMIN_MODES = {
    "opModConnect": "op_mod_connect",
    "opModEnergize": "op_mod_energize",
    "opModExpLimW": "op_mod_exp_lim_w",
    "opModImpLimW": "op_mod_imp_lim_w",
    "opModGenLimW": "op_mod_gen_lim_w",
    "opModLoadLimW": "op_mod_load_lim_w",
    "opModFixedW": "op_mod_fixed_w_pct",
    "opModMaxLimW": "op_mod_max_lim_w_pct",
    "opModTargetW": "op_mod_target_w",
    "rampTms": "ramp_tms",
}


def _admin_modes(modes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(modes) - set(_ADMIN_MODES)
    if unknown:
        raise DriverDeclinedError(f"the openderms admin API has no mode {sorted(unknown)}")
    return {_ADMIN_MODES[name]: value for name, value in modes.items()}


class OpenDermsAdminDriver:
    """The openderms admin API (``openderms server --admin-listen``) with a utility token."""

    def __init__(
        self, base_url: str, token: str, *, verify: Any = True, timeout_s: float = 10.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            verify=verify,
            timeout=timeout_s,
        )

    async def _call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.request(
                method, path, json=body if method != "GET" else None
            )
        except httpx.HTTPError as exc:
            raise DriverError(f"admin API {method} {path}: {exc}") from exc
        if response.status_code >= 300:
            raise DriverError(
                f"admin API {method} {path}: {response.status_code} {response.text[:300]}",
                response.status_code,
            )
        data = response.json() if response.content else {}
        return data if isinstance(data, dict) else {"result": data}

    async def register_device(
        self, client: ClientRef, *, pin: int | None, under_aggregator: ClientRef | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"lfdi": client.lfdi, "sfdi": client.sfdi, "pin": pin}
        if under_aggregator is not None:
            body["aggregator_lfdi"] = under_aggregator.lfdi
        try:
            return await self._call("POST", "/devices", body)
        except DriverError as error:
            if error.status != 409:
                raise
            # "Ensure registered": a device an earlier procedure registered is fine as is.
            return await self._call("GET", f"/devices/{client.lfdi}", {})

    async def create_control(
        self,
        client: ClientRef,
        *,
        start: int | None,
        duration_s: int,
        modes: dict[str, Any],
        randomize_start_s: int | None,
        randomize_duration_s: int | None,
        description: str,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "duration_s": duration_s,
            "modes": _admin_modes(modes),
            "description": description,
        }
        for key, value in (
            ("start", start),
            ("randomize_start_s", randomize_start_s),
            ("randomize_duration_s", randomize_duration_s),
        ):
            if value is not None:
                body[key] = value
        return await self._call("POST", f"/devices/{client.lfdi}/controls", body)

    async def cancel_control(self, control_id: str, *, randomized: bool) -> dict[str, Any]:
        return await self._call(
            "POST", f"/controls/{control_id}/cancel", {"randomized": randomized}
        )

    async def set_default_control(
        self, client: ClientRef, *, modes: dict[str, Any], set_grad_w: int | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"modes": _admin_modes(modes)}
        if set_grad_w is not None:
            body["set_grad_w"] = set_grad_w
        return await self._call("PUT", f"/devices/{client.lfdi}/default-control", body)

    async def set_rates(
        self, client: ClientRef | None, *, poll_s: int | None, post_s: int | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if client is not None:
            body["lfdi"] = client.lfdi
        if poll_s is not None:
            body["poll_rate_s"] = poll_s
        if post_s is not None:
            body["post_rate_s"] = post_s
        return await self._call("PUT", "/rates", body)

    async def aclose(self) -> None:
        await self._http.aclose()


class HttpHookDriver:
    """POSTs ``{"action": NAME, "params": {...}}`` to a lab-configured URL.

    The hook answers 2xx with a JSON object (e.g. ``{"id": "42"}`` for a control), 501 when
    it cannot do the action (the procedure is skipped), anything else for a failure.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        verify: Any = True,
        timeout_s: float = 30.0,
    ) -> None:
        self._url = url
        self._http = httpx.AsyncClient(headers=headers or {}, verify=verify, timeout=timeout_s)

    async def _hook(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post(self._url, json={"action": action, "params": params})
        except httpx.HTTPError as exc:
            raise DriverError(f"hook {action}: {exc}") from exc
        if response.status_code == 501:
            raise DriverDeclinedError(f"the hook does not do {action!r}")
        if response.status_code >= 300:
            raise DriverError(f"hook {action}: {response.status_code} {response.text[:300]}")
        data = response.json() if response.content else {}
        return data if isinstance(data, dict) else {"result": data}

    async def register_device(
        self, client: ClientRef, *, pin: int | None, under_aggregator: ClientRef | None
    ) -> dict[str, Any]:
        return await self._hook(
            "register_device",
            {
                "lfdi": client.lfdi,
                "sfdi": client.sfdi,
                "pin": pin,
                "aggregator_lfdi": under_aggregator.lfdi if under_aggregator else None,
            },
        )

    async def create_control(
        self,
        client: ClientRef,
        *,
        start: int | None,
        duration_s: int,
        modes: dict[str, Any],
        randomize_start_s: int | None,
        randomize_duration_s: int | None,
        description: str,
    ) -> dict[str, Any]:
        return await self._hook(
            "create_control",
            {
                "lfdi": client.lfdi,
                "start": start,
                "duration_s": duration_s,
                "modes": modes,
                "description": description,
                "randomize_start_s": randomize_start_s,
                "randomize_duration_s": randomize_duration_s,
            },
        )

    async def cancel_control(self, control_id: str, *, randomized: bool) -> dict[str, Any]:
        return await self._hook("cancel_control", {"id": control_id, "randomized": randomized})

    async def set_default_control(
        self, client: ClientRef, *, modes: dict[str, Any], set_grad_w: int | None
    ) -> dict[str, Any]:
        return await self._hook(
            "set_default_control", {"lfdi": client.lfdi, "modes": modes, "set_grad_w": set_grad_w}
        )

    async def set_rates(
        self, client: ClientRef | None, *, poll_s: int | None, post_s: int | None
    ) -> dict[str, Any]:
        return await self._hook(
            "set_rates",
            {
                "lfdi": client.lfdi if client else None,
                "poll_s": poll_s,
                "post_s": post_s,
            },
        )

    async def aclose(self) -> None:
        await self._http.aclose()


class InteractiveDriver:
    """Asks a person to do each action on the head-end and press Enter (or type 'skip').

    The wait is bounded (``timeout_s``); a control's id is whatever the person types.
    """

    def __init__(
        self, *, timeout_s: float = 600.0, ask: Callable[[str], str] | None = None
    ) -> None:
        self._timeout_s = timeout_s
        self._ask = ask or self._input

    @staticmethod
    def _input(prompt: str) -> str:
        sys.stdout.write(prompt)
        sys.stdout.flush()
        return sys.stdin.readline().strip()

    async def _prompt(self, text: str) -> str:
        try:
            answer = await asyncio.wait_for(
                asyncio.to_thread(self._ask, f"\n[tester] {text}\n  Enter when done, or 'skip': "),
                self._timeout_s,
            )
        except TimeoutError as exc:
            raise DriverDeclinedError(f"no answer within {self._timeout_s:.0f} s") from exc
        if answer.lower() == "skip":
            raise DriverDeclinedError("the operator skipped it")
        return answer

    async def register_device(
        self, client: ClientRef, *, pin: int | None, under_aggregator: ClientRef | None
    ) -> dict[str, Any]:
        under = f" under aggregator {under_aggregator.lfdi}" if under_aggregator else ""
        await self._prompt(
            f"Register EndDevice LFDI {client.lfdi} (SFDI {client.sfdi}), PIN {pin}{under}."
        )
        return {}

    async def create_control(
        self,
        client: ClientRef,
        *,
        start: int | None,
        duration_s: int,
        modes: dict[str, Any],
        randomize_start_s: int | None,
        randomize_duration_s: int | None,
        description: str,
    ) -> dict[str, Any]:
        answer = await self._prompt(
            f"Create a DERControl described {description!r} for LFDI {client.lfdi}: "
            f"start {start or 'now'}, duration "
            f"{duration_s} s, modes {modes}, randomizeStart {randomize_start_s}, "
            f"randomizeDuration {randomize_duration_s}. Type its id (any text) then Enter."
        )
        return {"id": answer}

    async def cancel_control(self, control_id: str, *, randomized: bool) -> dict[str, Any]:
        how = " with randomization" if randomized else ""
        await self._prompt(f"Cancel control {control_id}{how}.")
        return {}

    async def set_default_control(
        self, client: ClientRef, *, modes: dict[str, Any], set_grad_w: int | None
    ) -> dict[str, Any]:
        await self._prompt(
            f"Set the DefaultDERControl reaching LFDI {client.lfdi}: {modes}, "
            f"setGradW {set_grad_w}."
        )
        return {}

    async def set_rates(
        self, client: ClientRef | None, *, poll_s: int | None, post_s: int | None
    ) -> dict[str, Any]:
        who = f"LFDI {client.lfdi}" if client else "every device"
        await self._prompt(f"Set pollRate {poll_s} s / postRate {post_s} s for {who}.")
        return {}

    async def aclose(self) -> None:
        return None
