"""``openderms demo``: a utility server, a small fleet of simulated sites, a few controls.

Everything runs in this one process on 127.0.0.1 with nothing but the package installed:

1. a test PKI and a SQLite database in a data directory (a temporary one by default);
2. the head-end (``openderms server``): IEEE 2030.5 over mutual TLS, the admin API over
   TLS, the notification worker;
3. the fleet, registered out of band through the admin API (LFDI + PIN) into one group
   with one program and a DefaultDERControl (a 5 kW export limit);
4. per site, the simulated devices of ``openderms sim`` (PV, battery, meter, EV charger,
   heat pump, each a Modbus TCP server) and a gateway (``openderms client``) that
   subscribes to its controls; site-1's gateway also runs the local optimizer;
5. a scenario through the admin API: a fleet export limit, a disconnect of one site, the
   cancellation of the export limit; then the sites run until Ctrl-C (or ``--duration``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = ["DemoOptions", "DemoReport", "register", "run_demo"]

_PIN = 111115
_DEFAULT_EXPORT_LIMIT_W = 5000.0
_EXPORT_LIMIT_W = 1500.0


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """What ``openderms demo`` was asked for."""

    sites: int = 3
    duration_s: float | None = None
    """Stop this long after the sites start [s]; None runs until Ctrl-C."""
    data_dir: Path | None = None
    """Keep PKI, database and gateway stores here; a temporary directory when None."""
    port: int = 0
    """2030.5 port; 0 picks a free one."""
    admin_port: int = 0
    """Admin API port; 0 picks a free one."""
    step_s: float = 15.0
    """Time between scenario actions [s]."""
    status_every_s: float = 5.0
    """Time between status lines [s]."""


@dataclass(slots=True)
class DemoReport:
    """What happened (the demo's test reads it)."""

    dcap_url: str = ""
    admin_url: str = ""
    actions: list[str] = field(default_factory=list)
    limits_seen: dict[str, set[str]] = field(default_factory=dict)
    """Per site, every limits source its gateway dispatched."""
    responses: int = 0
    """Responses the server holds at the end."""


def register(subparsers: Any) -> None:  # Any: argparse's private _SubParsersAction
    """Add the ``demo`` verb."""
    parser = subparsers.add_parser(
        "demo",
        help="run a server, simulated sites with gateways, and a few controls, in one process",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sites", type=int, default=3, help="number of sites (default 3)")
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="S",
        help="stop S seconds after the sites start",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the PKI, database and gateway stores here (default: a temporary directory)",
    )
    parser.add_argument("--port", type=int, default=0, help="2030.5 port (default: free port)")
    parser.add_argument(
        "--admin-port", type=int, default=0, help="admin API port (default: free port)"
    )
    parser.add_argument(
        "--step", type=float, default=15.0, metavar="S", help="seconds between scenario actions"
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    if not 1 <= args.sites <= 20:
        logging.getLogger(__name__).error("--sites must be between 1 and 20")
        return 2
    options = DemoOptions(
        sites=args.sites,
        duration_s=args.duration,
        data_dir=args.data_dir,
        port=args.port,
        admin_port=args.admin_port,
        step_s=args.step,
    )
    try:
        asyncio.run(run_demo(options))
    except (OSError, RuntimeError) as exc:
        # A port in use, an unwritable data directory...: the reason, not a traceback.
        logging.getLogger(__name__).error("the demo could not run: %s", exc)
        return 1
    return 0


async def run_demo(options: DemoOptions) -> DemoReport:
    """Run the demo until Ctrl-C/SIGTERM or ``options.duration_s``; returns what happened."""
    import tempfile

    if options.data_dir is not None:
        options.data_dir.mkdir(parents=True, exist_ok=True)
        return await _Demo(options, options.data_dir).run()
    with tempfile.TemporaryDirectory(prefix="openderms-demo-") as tmp:
        return await _Demo(options, Path(tmp)).run()


class _Demo:
    def __init__(self, options: DemoOptions, data_dir: Path) -> None:
        import logging

        self.options = options
        self.data_dir = data_dir
        self.log = logging.getLogger("openderms.demo")
        self.report = DemoReport()
        self.admin_url = ""
        self.token = ""
        self.admin_verify: Any = None

    async def run(self) -> DemoReport:
        import asyncio
        import contextlib
        import signal
        import time

        from openderms.client.runtime.app import open_gateway
        from openderms.client.runtime.gateway import GatewayRuntime
        from openderms.client.sim.config import default_config
        from openderms.client.sim.server import RunningSite, start_site
        from openderms.server.runner import ServingHandle

        for noisy in ("httpx", "hypercorn", "alembic", "pymodbus", "openderms.server"):
            __import__("logging").getLogger(noisy).setLevel("WARNING")
        pki_dir = self.data_dir / "pki"
        names = [f"site-{i}" for i in range(1, self.options.sites + 1)]
        identities = self._make_pki(pki_dir, names)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)

        server_stop = asyncio.Event()
        handle = ServingHandle()
        server_task = asyncio.create_task(self._serve(pki_dir, server_stop, handle))
        gateways: dict[str, GatewayRuntime] = {}
        sites: dict[str, RunningSite] = {}
        tasks: list[asyncio.Task[Any]] = []
        try:
            await self._wait_ready(server_task, handle)
            await self._register_fleet(identities)
            async with contextlib.AsyncExitStack() as stack:
                for name in names:
                    site = await stack.enter_async_context(
                        start_site(_sunny(default_config()), start=time.time())
                    )
                    sites[name] = site
                    config = replace(
                        self._gateway_config(pki_dir, name),
                        devices=tuple(site.gateway_config()["devices"]),
                    )
                    # The gateway builds its devices (and site-1's optimizer) from config.
                    gateway = await open_gateway(config)
                    gateways[name] = gateway
                    self.report.limits_seen[name] = set()
                    tasks.append(asyncio.create_task(gateway.run(), name=f"gateway {name}"))
                self.log.info("%d sites running, each with 5 simulated devices", len(sites))
                if self.options.duration_s is not None:
                    # Counted from here: start-up (PKI, migrations, sites) takes longer on a
                    # loaded machine, and the scenario needs its steps whatever it took.
                    loop.call_later(self.options.duration_s, stop.set)
                tasks.append(asyncio.create_task(self._physics(sites)))
                tasks.append(asyncio.create_task(self._status(gateways, sites)))
                tasks.append(asyncio.create_task(self._scenario(identities)))
                stopped = asyncio.create_task(stop.wait())
                await asyncio.wait(
                    [stopped, *[t for t in tasks if t.get_name().startswith("gateway")]],
                    return_when=asyncio.FIRST_COMPLETED,
                )
                stopped.cancel()
                self.log.info("stopping: gateways, simulated devices, server")
                for gateway in gateways.values():
                    gateway.stop()
                for task in tasks:
                    if not task.get_name().startswith("gateway"):
                        task.cancel()
                results = await asyncio.gather(*tasks, return_exceptions=True)
                for task, result in zip(tasks, results, strict=True):
                    if isinstance(result, Exception):
                        self.log.error("%s failed: %r", task.get_name(), result)
                self.report.responses = await self._count_responses(identities)
        finally:
            server_stop.set()
            with contextlib.suppress(Exception):
                await server_task
        self.log.info("demo stopped")
        return self.report

    # -- setup ---------------------------------------------------------------------------

    def _make_pki(self, pki_dir: Path, names: list[str]) -> dict[str, str]:
        from openderms.certs import pki
        from openderms.certs.errors import PkiExistsError
        from openderms.certs.identity import identity_from_pem

        try:
            pki.init_pki(pki_dir)
        except PkiExistsError:
            self.log.info("reusing the PKI in %s", pki_dir)
        identities = {}
        for name in names:
            if not (pki_dir / f"{name}.pem").exists():
                pki.issue_device(pki_dir, name)
            identities[name] = identity_from_pem((pki_dir / f"{name}.pem").read_bytes()).lfdi
        return identities

    async def _serve(self, pki_dir: Path, stop: Any, handle: Any) -> None:
        import time

        from openderms.server.admin.tokens import AdminRole, create_token
        from openderms.server.config import ServerSettings
        from openderms.server.main import run_server
        from openderms.server.store.db import Store

        db_path = self.data_dir / "server.sqlite"
        store = Store.open(str(db_path))
        try:
            self.token = store.call(
                create_token,
                name=f"demo {int(time.time())}",
                role=AdminRole.UTILITY,
                aggregator_lfdi=None,
                now=int(time.time()),
            ).token
        finally:
            store.dispose()
        settings = ServerSettings(
            listen=f"127.0.0.1:{self.options.port}",
            admin_listen=f"127.0.0.1:{self.options.admin_port}",
            db_url=str(db_path),
            certs_dir=pki_dir,
            poll_rate_s=60,
            post_rate_s=15,
        )
        await run_server(settings, shutdown_trigger=stop.wait, handle=handle)

    async def _wait_ready(self, server_task: Any, handle: Any) -> None:
        import asyncio
        import ssl

        ready = asyncio.create_task(handle.ready.wait())
        done, _ = await asyncio.wait({server_task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if server_task in done:
            ready.cancel()
            server_task.result()
            raise RuntimeError("the server stopped before it was ready")
        sep2_port = handle.addresses["2030.5"][0][1]
        admin_port = handle.addresses["admin"][0][1]
        self.report.dcap_url = f"https://127.0.0.1:{sep2_port}/dcap"
        # The admin API serves TLS with the server certificate (the PKI's SERCA verifies).
        self.admin_verify = ssl.create_default_context(
            cafile=str(self.data_dir / "pki" / "serca.pem")
        )
        self.admin_url = self.report.admin_url = f"https://127.0.0.1:{admin_port}"
        self.log.info("2030.5 server:  %s (mutual TLS)", self.report.dcap_url)
        self.log.info("dashboard:      %s/dashboard (log in with the admin token)", self.admin_url)
        self.log.info("admin API:      %s (OpenAPI at /openapi.json)", self.admin_url)
        self.log.info("admin token:    %s", self.token)
        self.log.info(
            "try:            curl --cacert %s -H 'Authorization: Bearer %s' %s/devices",
            self.data_dir / "pki" / "serca.pem",
            self.token,
            self.admin_url,
        )
        self.log.info(
            "the admin API and dashboard use the demo PKI: trust %s, or accept the browser's "
            "warning",
            self.data_dir / "pki" / "serca.pem",
        )
        self.log.info("data directory: %s", self.data_dir)

    async def _admin(self, method: str, path: str, body: Any = None) -> Any:
        import httpx

        async with httpx.AsyncClient(
            base_url=self.admin_url,
            verify=self.admin_verify,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as client:
            response = await client.request(method, path, json=body)
        if not response.is_success:
            raise RuntimeError(f"admin {method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    async def _register_fleet(self, identities: dict[str, str]) -> None:
        known = {d["lfdi"] for d in (await self._admin("GET", "/devices"))["devices"]}
        for name, lfdi in identities.items():
            if lfdi not in known:
                await self._admin("POST", "/devices", {"lfdi": lfdi, "pin": _PIN})
            self.log.info("registered %s out of band: LFDI %s, PIN %d", name, lfdi, _PIN)
        group = await self._admin("POST", "/groups", {"description": "demo fleet"})
        await self._admin(
            "POST", f"/groups/{group['id']}/devices", {"lfdis": list(identities.values())}
        )
        program = await self._admin(
            "POST",
            "/programs",
            {"description": "demo program", "primacy": 1, "group_ids": [group["id"]]},
        )
        self.program_id = int(program["id"])
        await self._admin(
            "PUT",
            f"/programs/{self.program_id}/default-control",
            {"modes": {"op_mod_exp_lim_w": _DEFAULT_EXPORT_LIMIT_W}},
        )
        self.log.info(
            "group %s, program %s, DefaultDERControl: export limit %.0f W",
            group["id"],
            self.program_id,
            _DEFAULT_EXPORT_LIMIT_W,
        )

    def _gateway_config(self, pki_dir: Path, name: str) -> Any:
        from openderms.client.config import GatewayConfig, NotificationConfig, TimingConfig
        from openderms.client.optimizer_settings import OptimizerSettings

        return GatewayConfig(
            name=name,
            dcap_url=self.report.dcap_url,
            cert_path=pki_dir / f"{name}.pem",
            key_path=pki_dir / f"{name}.key",
            ca_path=pki_dir / "serca.pem",
            store_path=self.data_dir / f"{name}.sqlite",
            register_in_band=False,
            pin=_PIN,
            notifications=NotificationConfig(enabled=True),
            timing=TimingConfig(
                poll_s=60.0,
                post_s=15.0,
                sample_s=5.0,
                dispatch_s=10.0,
                backoff_initial_s=1.0,
                backoff_max_s=30.0,
                request_timeout_s=5.0,
                comms_loss_timeout_s=300.0,
            ),
            # The first site also runs the local optimizer inside its granted limits; the
            # others dispatch the envelope alone, so the two can be compared side by side.
            optimizer=OptimizerSettings(enabled=name == "site-1"),
        )

    # -- running -------------------------------------------------------------------------

    async def _physics(self, sites: dict[str, Any]) -> None:
        import asyncio
        import time

        while True:
            now = time.time()
            for site in sites.values():
                site.step(now)
            await asyncio.sleep(1.0)

    async def _status(self, gateways: dict[str, Any], sites: dict[str, Any]) -> None:
        import asyncio

        while True:
            await asyncio.sleep(self.options.status_every_s)
            for name, gateway in gateways.items():
                state = sites[name].sim.state
                pv = sites[name].sim.devices["pv"]
                status = gateway.status()
                limits = status["limits"]
                described = _describe(limits) if limits is not None else "not yet dispatched"
                self.report.limits_seen[name].add(str(status["limits_source"]))
                self.log.info(
                    "%s: %s | PV %5.0f W (limit %3.0f %%, %s) | site %+6.0f W | %s%s",
                    name,
                    described,
                    state.pv_w,
                    pv.limit_pct(),
                    "connected" if pv.connected() else "DISCONNECTED",
                    state.site_w,
                    "subscribed" if status["subscriptions"] else "polling",
                    f" | faults {status['faults']}" if status["faults"] else "",
                )

    async def _scenario(self, identities: dict[str, str]) -> None:
        import asyncio
        import time

        step_s = self.options.step_s
        names = list(identities)
        await asyncio.sleep(step_s)
        control = await self._admin(
            "POST",
            f"/programs/{self.program_id}/controls",
            {
                "duration_s": int(max(8 * step_s, 60)),
                "description": "fleet export limit",
                "modes": {"op_mod_exp_lim_w": _EXPORT_LIMIT_W},
            },
        )
        self._action(f"fleet export limit {_EXPORT_LIMIT_W:.0f} W (control {control['id']})")
        await asyncio.sleep(step_s)
        target = names[-1]
        await self._admin(
            "POST",
            f"/devices/{identities[target]}/controls",
            {
                "start": int(time.time()),
                "duration_s": int(max(2 * step_s, 10)),
                "description": "disconnect",
                "modes": {"op_mod_connect": False},
            },
        )
        self._action(f"{target}: disconnect for {int(max(2 * step_s, 10))} s")
        await asyncio.sleep(step_s)
        await self._admin("POST", f"/controls/{control['id']}/cancel", {})
        self._action(f"cancelled the fleet export limit (control {control['id']})")
        self.log.info("scenario done; the sites keep running (Ctrl-C to stop)")

    def _action(self, text: str) -> None:
        self.report.actions.append(text)
        self.log.info(">>> %s", text)

    async def _count_responses(self, identities: dict[str, str]) -> int:
        total = 0
        for lfdi in identities.values():
            device = await self._admin("GET", f"/devices/{lfdi}")
            total += len(device.get("responses", []))
        return total


def _sunny(config: Any) -> Any:
    """The simulated site's clock shifted so that it is around noon there now: the demo
    shows PV being curtailed whatever the hour in UTC."""
    import dataclasses
    import time

    utc_hour = (time.time() % 86_400) / 3600
    return dataclasses.replace(config, utc_offset_h=round(12.0 - utc_hour))


def _describe(limits: Any) -> str:
    parts = []
    for name, label in (
        ("export_limit_w", "export <= {:.0f} W"),
        ("import_limit_w", "import <= {:.0f} W"),
        ("generation_limit_w", "generation <= {:.0f} W"),
        ("load_limit_w", "load <= {:.0f} W"),
    ):
        value = getattr(limits, name)
        if value is not None:
            parts.append(label.format(value))
    if limits.connect is False:
        parts.append("disconnect")
    return ", ".join(parts) or "no limits"
