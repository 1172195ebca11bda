"""Test any 2030.5 server: act as virtual clients, drive setup through a driver, judge.

Each virtual client is a certificate and key (a device, a second device, an aggregator);
the runner speaks to the server as that client over mutual TLS, records every exchange as
evidence, and evaluates each step's checks on what came back. Every wait is bounded by
``max_wait_s`` whatever a procedure asks for.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from lxml import etree

from openderms.certs.identity import identity_from_pem
from openderms.certs.tls import cipher_string, client_context, server_context
from openderms.conformance import checks as check_impl
from openderms.conformance.drivers import ClientRef, Driver, DriverDeclinedError, DriverError
from openderms.conformance.expressions import ExpressionError, evaluate, substitute, truth
from openderms.conformance.faults import Fault, FaultyTransport
from openderms.conformance.model import Procedure, Profile, Role, Step
from openderms.conformance.notify_listener import NotificationInbox
from openderms.conformance.results import (
    CheckResult,
    Exchange,
    ProcedureResult,
    RunResult,
    Verdict,
)
from openderms.conformance.xml import XmlBodyError, parse_body, xpath_value

__all__ = ["ClientCredentials", "ServerRunner", "ServerTarget", "StepOutcome"]

log = logging.getLogger(__name__)

SEP_XML = "application/sep+xml"
_BODY_LIMIT = 1_000_000  # evidence keeps at most this much of a body


@dataclass(frozen=True)
class ClientCredentials:
    cert: Path
    key: Path


@dataclass
class ServerTarget:
    """What a server run needs: where, as whom, under which profile, with which driver."""

    dcap_url: str
    ca: Path
    clients: Mapping[str, ClientCredentials]
    driver: Driver
    profile: Profile = Profile.CSIP_AUS_12
    xsd_dir: Path | None = None
    listen_host: str = "127.0.0.1"
    timeout_s: float = 10.0
    max_wait_s: float = 120.0
    check_hostname: bool = False
    #: Self-test only: a deliberately broken server (see :mod:`openderms.conformance.faults`).
    fault: Fault | None = None


@dataclass
class StepOutcome:
    """What one action produced: the exchanges, the parsed body, values to save."""

    exchanges: list[Exchange] = field(default_factory=list)
    root: etree._Element | None = None
    body_error: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    pages: list[etree._Element] = field(default_factory=list)

    @property
    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None


#: The virtual client without a certificate (TLS mutual authentication must refuse it).
ANONYMOUS = "anonymous"


def _anonymous_context(ca: Path) -> ssl.SSLContext:
    """TLS 1.2 with the 2030.5 cipher suite and the server's trust anchor, no certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(cipher_string("csip"))
    context.check_hostname = False
    context.load_verify_locations(cafile=ca)
    return context


class _Client:
    def __init__(self, name: str, creds: ClientCredentials | None, target: ServerTarget) -> None:
        self.name = name
        self.creds = creds
        if creds is None:
            self.ref = ClientRef(name=name, lfdi="", sfdi=0)
            context = _anonymous_context(target.ca)
        else:
            identity = identity_from_pem(creds.cert.read_bytes())
            self.ref = ClientRef(name=name, lfdi=identity.lfdi, sfdi=identity.sfdi)
            context = client_context(
                creds.cert, creds.key, target.ca, check_hostname=target.check_hostname
            )
        transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(verify=context)
        if target.fault is not None:
            transport = FaultyTransport(transport, target.fault)
        self.http = httpx.AsyncClient(transport=transport, timeout=target.timeout_s)
        self.inbox: NotificationInbox | None = None
        self._target = target

    def listener_context(self) -> ssl.SSLContext:
        if self.creds is None:
            raise _ActionError("the anonymous client has no certificate to listen with")
        return server_context(self.creds.cert, self.creds.key, self._target.ca)

    async def aclose(self) -> None:
        if self.inbox is not None:
            await self.inbox.stop()
        await self.http.aclose()


class ServerRunner:
    def __init__(self, target: ServerTarget, *, clock: Callable[[], float] = time.time) -> None:
        self.target = target
        self.clock = clock
        self._origin = "{0.scheme}://{0.netloc}".format(urlsplit(target.dcap_url))
        self._clients: dict[str, _Client] = {}
        self._exchange_ids = 0

    async def __aenter__(self) -> ServerRunner:
        for name, creds in self.target.clients.items():
            self._clients[name] = _Client(name, creds, self.target)
        self._clients[ANONYMOUS] = _Client(ANONYMOUS, None, self.target)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self._clients.values():
            await client.aclose()

    # -- a run --------------------------------------------------------------------------------

    async def run(self, procedures: Sequence[Procedure]) -> RunResult:
        run = RunResult(
            role="server", target=self.target.dcap_url, profile=str(self.target.profile)
        )
        for procedure in procedures:
            run.procedures.append(await self.run_one(procedure))
        return run

    async def run_one(self, procedure: Procedure) -> ProcedureResult:
        result = ProcedureResult(procedure.id, procedure.title, procedure.area)
        result.started_at = self.clock()
        started = time.monotonic()
        try:
            await self._run_steps(procedure, result)
        finally:
            for client in self._clients.values():  # a procedure's listeners end with it
                if client.inbox is not None:
                    await client.inbox.stop()
                    client.inbox = None
            result.duration_s = time.monotonic() - started
        result.conclude()
        return result

    def _skip_reason(self, procedure: Procedure) -> str | None:
        if procedure.role is not Role.SERVER:
            return "a client procedure (run it with `openderms conformance serve`)"
        if self.target.profile not in procedure.profiles:
            return f"not part of profile {self.target.profile}"
        return None

    async def _run_steps(self, procedure: Procedure, result: ProcedureResult) -> None:
        reason = self._skip_reason(procedure)
        if reason:
            result.verdict, result.reason = Verdict.NOT_APPLICABLE, reason
            return
        needed = _clients_needed(procedure)
        missing = sorted(needed - set(self._clients))
        if missing:
            result.verdict = Verdict.SKIPPED
            result.reason = (
                f"needs virtual client(s) {', '.join(missing)} (--client NAME=CERT,KEY)"
            )
            return
        variables = self._variables()
        steps = procedure.all_steps()
        index = {step.id: position for position, step in enumerate(steps)}
        position = 0
        while position < len(steps):
            step = steps[position]
            if self.target.fault is not None:
                self.target.fault.active = position >= len(procedure.preconditions)
            variables["now"] = int(self.clock())
            try:
                if step.when is not None and not truth(step.when, variables):
                    position += 1
                    continue
                outcome = await self._act(step, variables)
            except DriverDeclinedError as exc:
                result.verdict, result.reason = Verdict.SKIPPED, f"{step.id}: {exc}"
                return
            except (DriverError, ExpressionError, _ActionError) as exc:
                result.verdict, result.reason = Verdict.FAILED, f"{step.id}: {exc}"
                return
            except (ValueError, TypeError, etree.XPathError) as exc:  # unusable server data
                result.verdict = Verdict.FAILED
                result.reason = f"{step.id}: the server's answer cannot be used: {exc}"
                return
            result.exchanges.extend(outcome.exchanges)
            if step.action == "set":
                variables.update(outcome.values)
            saved, save_error = _saved(step, outcome, variables)
            variables.update(saved)
            variables["now"] = int(self.clock())
            for check_number, check in enumerate(step.checks):
                if not check.applies_to(self.target.profile):
                    continue
                try:
                    bound = replace(check, params=substitute(check.params, variables))
                    verdict, why = check_impl.evaluate(bound, outcome, variables, self.target)
                except (ExpressionError, ValueError, TypeError) as exc:
                    verdict, why = Verdict.FAILED, f"cannot judge: {exc}"
                result.checks.append(
                    CheckResult(
                        step.id,
                        check.name,
                        verdict,
                        why,
                        check.cites,
                        tuple(e.id for e in outcome.exchanges),
                        check_number,
                    )
                )
            if save_error is not None:  # after the checks, so they still show what was wrong
                result.verdict, result.reason = Verdict.FAILED, f"{step.id}: {save_error}"
                return
            position = index[step.goto] if step.goto else position + 1

    def _variables(self) -> dict[str, Any]:
        variables: dict[str, Any] = {
            "profile": str(self.target.profile),
            # 20 hex digits unique to this procedure run: a procedure writes the mRIDs it
            # creates as ${mrid_base} + 4 digits + its PEN, so runs never collide.
            "mrid_base": secrets.token_hex(10).upper(),
        }
        for name, client in self._clients.items():
            if client.creds is None:
                continue
            variables[f"{name}.lfdi"] = client.ref.lfdi
            variables[f"{name}.sfdi"] = client.ref.sfdi
        return variables

    # -- actions ------------------------------------------------------------------------------

    async def _act(self, step: Step, variables: dict[str, Any]) -> StepOutcome:
        params = substitute(step.params, variables)
        handler = getattr(self, f"_do_{step.action}", None)
        if handler is None:
            raise _ActionError(f"this runner has no action {step.action!r}")
        outcome: StepOutcome = await handler(params, variables)
        return outcome

    def _client(self, name: str) -> _Client:
        try:
            return self._clients[name]
        except KeyError:
            raise _ActionError(f"no virtual client {name!r}") from None

    def _seconds(self, value: Any, variables: Mapping[str, Any], default: float) -> float:
        seconds = float(evaluate(value, variables)) if value is not None else default
        return max(0.0, min(seconds, self.target.max_wait_s))

    async def _exchange(
        self,
        client: _Client,
        method: str,
        href: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: str | None = None,
        content_type: str = SEP_XML,
    ) -> Exchange:
        url = urljoin(self._origin + "/", href)
        if urlsplit(url).netloc != urlsplit(self._origin).netloc:
            raise _ActionError(f"{href!r} leaves the server under test")
        headers = {"Accept": SEP_XML}
        if body is not None:
            headers["Content-Type"] = content_type
        self._exchange_ids += 1
        exchange = Exchange(
            id=self._exchange_ids,
            client=client.name,
            method=method,
            url=url + (("?" + "&".join(f"{k}={v}" for k, v in query.items())) if query else ""),
            request_headers=headers,
            request_body=body or "",
            sent_at=self.clock(),
        )
        try:
            response = await client.http.request(
                method,
                url,
                params=dict(query or {}),
                content=body.encode("utf-8") if body is not None else None,
                headers=headers,
            )
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
            exchange.received_at = self.clock()
            return exchange
        exchange.status = response.status_code
        exchange.response_headers = dict(response.headers)
        exchange.response_body = response.content[:_BODY_LIMIT].decode("utf-8", "replace")
        exchange.received_at = self.clock()
        return exchange

    @staticmethod
    def _parse(outcome: StepOutcome, body: str) -> None:
        if not body.strip():
            outcome.root, outcome.body_error = None, "the response has no body"
            return
        try:
            outcome.root, outcome.body_error = parse_body(body.encode("utf-8")), None
        except XmlBodyError as exc:
            outcome.root, outcome.body_error = None, str(exc)

    async def _do_request(
        self, params: dict[str, Any], variables: Mapping[str, Any]
    ) -> StepOutcome:
        client = self._client(params["client"])
        exchange = await self._exchange(
            client,
            str(params.get("method", "GET")).upper(),
            str(params["href"]),
            query=params.get("query"),
            body=params.get("body"),
            content_type=params.get("content_type", SEP_XML),
        )
        outcome = StepOutcome(exchanges=[exchange])
        outcome.values["status"] = exchange.status
        for name, value in exchange.response_headers.items():
            outcome.values[f"header:{name.lower()}"] = value
        self._parse(outcome, exchange.response_body)
        return outcome

    async def _get(
        self, client: _Client, href: str, outcome: StepOutcome
    ) -> etree._Element | None:
        # l=255: a list without ``l`` answers one item (the 2030.5 default limit).
        exchange = await self._exchange(
            client, "GET", href, query={"l": 255} if href != "/dcap" else None
        )
        outcome.exchanges.append(exchange)
        if exchange.status != 200:
            return None
        page = StepOutcome()
        self._parse(page, exchange.response_body)
        return page.root

    async def _do_walk(self, params: dict[str, Any], variables: Mapping[str, Any]) -> StepOutcome:
        """Follow the links a client follows from /dcap and save each href found:
        tm, edev_list, mup_list, edev (the client's own EndDevice), fsa_list, fsa,
        derp_list, derp, derc_list, actderc, dderc, der_list, der, dercap, derg, ders, dera,
        sub_list, lel_list, rg, di, cp."""
        client = self._client(params["client"])
        outcome = StepOutcome()
        found = outcome.values

        def link(root: etree._Element | None, xpath: str, name: str) -> str | None:
            value = xpath_value(root, xpath) if root is not None else None
            if value:
                found[name] = value
            return value

        dcap = await self._get(client, str(params.get("href", "/dcap")), outcome)
        if dcap is None:
            raise _ActionError("GET /dcap did not answer 200")
        link(dcap, "sep:TimeLink/@href", "tm")
        link(dcap, "sep:MirrorUsagePointListLink/@href", "mup_list")
        edev_list = link(dcap, "sep:EndDeviceListLink/@href", "edev_list")
        edevs = await self._get(client, edev_list, outcome) if edev_list else None
        edev = link(edevs, f"sep:EndDevice[sep:lFDI='{client.ref.lfdi}']/@href", "edev")
        if edev is None:
            edev = link(edevs, "sep:EndDevice/@href", "edev")
        device = await self._get(client, edev, outcome) if edev else None
        for xpath, name in (
            ("sep:FunctionSetAssignmentsListLink/@href", "fsa_list"),
            ("sep:DERListLink/@href", "der_list"),
            ("sep:SubscriptionListLink/@href", "sub_list"),
            ("sep:LogEventListLink/@href", "lel_list"),
            ("sep:RegistrationLink/@href", "rg"),
            ("sep:DeviceInformationLink/@href", "di"),
            ("csipaus:ConnectionPointLink/@href", "cp"),
        ):
            link(device, xpath, name)
        if "fsa_list" in found:
            fsas = await self._get(client, found["fsa_list"], outcome)
            link(fsas, "sep:FunctionSetAssignments/@href", "fsa")
            programs = link(
                fsas, "sep:FunctionSetAssignments/sep:DERProgramListLink/@href", "derp_list"
            )
            derps = await self._get(client, programs, outcome) if programs else None
            link(derps, "sep:DERProgram/@href", "derp")
            link(derps, "sep:DERProgram/sep:DERControlListLink/@href", "derc_list")
            link(derps, "sep:DERProgram/sep:ActiveDERControlListLink/@href", "actderc")
            link(derps, "sep:DERProgram/sep:DefaultDERControlLink/@href", "dderc")
        if "der_list" in found:
            ders = await self._get(client, found["der_list"], outcome)
            der = link(ders, "sep:DER/@href", "der")
            for xpath, name in (
                ("sep:DERCapabilityLink/@href", "dercap"),
                ("sep:DERSettingsLink/@href", "derg"),
                ("sep:DERStatusLink/@href", "ders"),
                ("sep:DERAvailabilityLink/@href", "dera"),
            ):
                link(ders, f"sep:DER/{xpath}", name)
            if der is None:
                found.pop("der", None)
        outcome.root = device
        return outcome

    async def _do_page_through(
        self, params: dict[str, Any], variables: Mapping[str, Any]
    ) -> StepOutcome:
        client = self._client(params["client"])
        limit = int(params.get("limit", 2))
        max_pages = min(int(params.get("max_pages", 50)), 200)
        outcome = StepOutcome()
        start = 0
        for _ in range(max_pages):
            exchange = await self._exchange(
                client, "GET", str(params["href"]), query={"s": start, "l": limit}
            )
            outcome.exchanges.append(exchange)
            if exchange.status != 200:
                raise _ActionError(
                    f"page at s={start} answered {exchange.status or exchange.error}"
                )
            page = StepOutcome()
            self._parse(page, exchange.response_body)
            if page.root is None:
                raise _ActionError(f"page at s={start}: {page.body_error}")
            outcome.pages.append(page.root)
            count = len(check_impl.list_items(page.root))
            start += count
            if count < limit:
                break
        else:
            outcome.values["truncated"] = True
        outcome.root = outcome.pages[0] if outcome.pages else None
        hrefs = [
            item.get("href") for page in outcome.pages for item in check_impl.list_items(page)
        ]
        outcome.values.update(
            {
                "items": len(hrefs),
                "pages": len(outcome.pages),
                "all": _int_or(outcome.root.get("all") if outcome.root is not None else None, -1),
            }
        )
        outcome.values["limit"] = limit
        return outcome

    async def _do_listen(
        self, params: dict[str, Any], variables: Mapping[str, Any]
    ) -> StepOutcome:
        client = self._client(params["client"])
        if client.inbox is None:
            client.inbox = NotificationInbox(
                client.listener_context(), host=self.target.listen_host
            )
        await client.inbox.start()
        return StepOutcome(values={"uri": client.inbox.uri(f"/ntfy/{client.name}")})

    async def _do_stop_listening(
        self, params: dict[str, Any], variables: Mapping[str, Any]
    ) -> StepOutcome:
        client = self._client(params["client"])
        if client.inbox is not None:
            await client.inbox.pause()
        return StepOutcome()

    async def _do_await_notification(
        self, params: dict[str, Any], variables: Mapping[str, Any]
    ) -> StepOutcome:
        client = self._client(params["client"])
        if client.inbox is None:
            raise _ActionError("await_notification before listen")
        within = self._seconds(params.get("within"), variables, 30.0)
        wanted = params.get("subscribed_resource")
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _ActionError(
                    f"no Notification{' for ' + wanted if wanted else ''} within {within:.0f} s"
                )
            try:
                path, body, received = await asyncio.wait_for(client.inbox.next(), remaining)
            except TimeoutError:
                continue
            if wanted:
                raw = StepOutcome()
                self._parse(raw, body.decode("utf-8", "replace"))
                if (
                    raw.root is not None
                    and xpath_value(raw.root, "sep:subscribedResource") != wanted
                ):
                    continue
            if self.target.fault is not None:  # self-test: the fault reaches Notifications too
                body = self.target.fault.apply(body)
            self._exchange_ids += 1
            exchange = Exchange(
                id=self._exchange_ids,
                client=client.name,
                method="POST",
                url=path,
                request_headers={},
                request_body=body[:_BODY_LIMIT].decode("utf-8", "replace"),
                sent_at=received,
                status=204,
                received_at=received,
                direction="server→tester",
            )
            outcome = StepOutcome(exchanges=[exchange])
            self._parse(outcome, exchange.request_body)
            return outcome

    async def _do_wait(self, params: dict[str, Any], variables: Mapping[str, Any]) -> StepOutcome:
        await asyncio.sleep(self._seconds(params["seconds"], variables, 0.0))
        return StepOutcome()

    async def _do_set(self, params: dict[str, Any], variables: Mapping[str, Any]) -> StepOutcome:
        return StepOutcome(values={k: evaluate(v, variables) for k, v in params.items()})

    async def _do_register_device(
        self, params: dict[str, Any], variables: Mapping[str, Any]
    ) -> StepOutcome:
        under = params.get("under_aggregator")
        made = await self.target.driver.register_device(
            self._client(params["client"]).ref,
            pin=params.get("pin"),
            under_aggregator=self._client(under).ref if under else None,
        )
        return StepOutcome(values=made)

    async def _do_create_control(
        self, params: dict[str, Any], variables: Mapping[str, Any]
    ) -> StepOutcome:
        def number(key: str) -> int | None:
            value = params.get(key)
            return None if value is None else int(evaluate(value, variables))

        made = await self.target.driver.create_control(
            self._client(params["client"]).ref,
            start=number("start"),
            duration_s=int(evaluate(params["duration"], variables)),
            modes=dict(params.get("modes", {})),
            randomize_start_s=number("randomize_start"),
            randomize_duration_s=number("randomize_duration"),
            description=str(params.get("description", "")),
        )
        return StepOutcome(values=made)

    async def _do_cancel_control(
        self, params: dict[str, Any], variables: Mapping[str, Any]
    ) -> StepOutcome:
        made = await self.target.driver.cancel_control(
            str(params["id"]), randomized=bool(params.get("randomized", False))
        )
        return StepOutcome(values=made)

    async def _do_set_default_control(
        self, params: dict[str, Any], variables: Mapping[str, Any]
    ) -> StepOutcome:
        made = await self.target.driver.set_default_control(
            self._client(params["client"]).ref,
            modes=dict(params["modes"]),
            set_grad_w=params.get("set_grad_w"),
        )
        return StepOutcome(values=made)

    async def _do_set_rates(
        self, params: dict[str, Any], variables: Mapping[str, Any]
    ) -> StepOutcome:
        who = params.get("client")
        made = await self.target.driver.set_rates(
            self._client(who).ref if who else None,
            poll_s=params.get("poll"),
            post_s=params.get("post"),
        )
        return StepOutcome(values=made)


def _int_or(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


class _ActionError(RuntimeError):
    """An action that could not produce what the procedure needs (the procedure fails)."""


def _clients_needed(procedure: Procedure) -> set[str]:
    names: set[str] = set()
    for step in procedure.all_steps():
        for key in ("client", "under_aggregator"):
            value = step.params.get(key)
            if isinstance(value, str) and "${" not in value:
                names.add(value)
    return names


def _saved(
    step: Step, outcome: StepOutcome, variables: Mapping[str, Any]
) -> tuple[dict[str, Any], _ActionError | None]:
    """``save: {name: source}``: a key of the action's values (``status``,
    ``header:location``, ``id``, ``uri``, ``items`` ...) or an XPath over the body.
    Returns what could be saved and the first reason something could not."""
    out: dict[str, Any] = {}
    try:
        _save_into(out, step, outcome, variables)
    except _ActionError as exc:
        return out, exc
    return out, None


def _save_into(
    out: dict[str, Any], step: Step, outcome: StepOutcome, variables: Mapping[str, Any]
) -> None:
    for name, template in step.save.items():
        try:
            source = str(substitute(template, variables))
        except ExpressionError as exc:
            raise _ActionError(f"save {name}: {exc}") from exc
        key = source.lower() if source.lower().startswith("header:") else source
        if key in outcome.values:
            out[name] = outcome.values[key]
            continue
        if key.startswith("header:"):
            raise _ActionError(f"save {name}: the response has no {source[7:]!r} header")
        if outcome.root is None:
            raise _ActionError(f"save {name}: {outcome.body_error or 'no body'}")
        try:
            value = xpath_value(outcome.root, source)
        except etree.XPathError as exc:
            raise _ActionError(f"save {name}: bad XPath {source!r}: {exc}") from exc
        if value is None:
            raise _ActionError(f"save {name}: nothing matches {source!r}")
        out[name] = int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else value
