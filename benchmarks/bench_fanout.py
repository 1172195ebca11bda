"""Fleet control fan-out: admin POST -> the last of N devices' Notifications acknowledged.

Everything is real and on loopback: N devices, each with its own certificate (issued by
the test MICA) and its own mutual-TLS Notification listener on its own port, hosted by
``--listener-procs`` separate processes (the load side; their CPU is reported). The fleet
(N EndDevices in one group, one program, one DERControlList Subscription each) is written
through the services before the clock starts; then one or two ``openderms server``
processes run on the database, and one group control is POSTed to the admin API. The
figure is the time from that POST to the last listener's acknowledgement, and
Notifications/s.

Baselines measured in the same run, against the same listeners, from this process:
- bare handshake: mutual-TLS handshakes (the server's client certificate, TLS 1.2
  CCM-8, chain verified), 256 at a time, handshakes/s and CPU ms per handshake;
- bare POST: the same plus one HTTP/1.1 POST of a Notification-sized body and its 201,
  written with asyncio streams (no httpx, no database, no rendering).
Ratio = our Notifications/s over the bare POST rate.

Usage:
  python benchmarks/bench_fanout.py --devices 1000 [--servers 1|2] [--db sqlite|postgres]
         [--listener-procs 2] [--profile]
``--db postgres`` needs $OPENDERMS_TEST_POSTGRES_URL (a fresh schema, dropped afterwards).
``--profile`` then authors a second control and delivers it with a DeliveryWorker in this
process under pyinstrument, and prints where its time went.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import ssl
import sys
import tempfile
import time
import uuid
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import select, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "server" / "notify"))

from server_process import ServerProcess

from openderms.certs import pki, tls
from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.admin.tokens import create_token
from openderms.server.config import ServerSettings
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services import programs, registration
from openderms.server.services.subscriptions import create_subscription
from openderms.server.store.admin import AdminRole
from openderms.server.store.db import Store, make_engine
from openderms.server.store.outbox import NotificationOutbox

RESPONSE = b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n"
BARE_BODY = b"<Notification>" + b"x" * 900 + b"</Notification>"
WAIT_LIMIT_S = 300.0  # bound on waiting for the last acknowledgement


def _raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- the load side: many listeners per process -----------------------------------------


class _Listeners:
    """Counts complete POSTs to /n... and when the last one was acknowledged."""

    def __init__(self) -> None:
        self.received = 0
        self.last_ack = 0.0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                writer.write(RESPONSE)
                await writer.drain()
                if head.split(b" ", 2)[1].startswith(b"/n"):
                    self.received += 1
                    self.last_ack = time.monotonic()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, IndexError):
            pass
        finally:
            writer.close()


def _listener_process(conn: Connection, pki_dir: str, names: list[str]) -> None:
    _raise_fd_limit()
    asyncio.run(_serve_listeners(conn, Path(pki_dir), names))


async def _serve_listeners(conn: Connection, pki_dir: Path, names: list[str]) -> None:
    paths = pki.PkiPaths.in_directory(pki_dir)
    listeners = _Listeners()
    servers: list[asyncio.Server] = []
    fleet: list[tuple[str, int]] = []
    for name in names:
        device = pki.issue_device(pki_dir, name)
        context = tls.server_context(device.cert, device.key, paths.serca_cert)
        server = await asyncio.start_server(listeners.handle, "127.0.0.1", 0, ssl=context)
        servers.append(server)
        fleet.append((device.identity.lfdi, server.sockets[0].getsockname()[1]))
    conn.send(fleet)
    cpu_start = time.process_time()
    while True:
        command = await asyncio.to_thread(conn.recv)
        if command == "reset":
            cpu_start = time.process_time()
            listeners.received = 0
            conn.send(None)
        elif command == "stats":
            cpu = time.process_time() - cpu_start
            conn.send((listeners.received, listeners.last_ack, cpu))
        else:
            break
    for server in servers:
        server.close()
    conn.send(None)


class LoadSide:
    """The listener processes, started with their share of the fleet's names."""

    def __init__(self, pki_dir: Path, devices: int, processes: int) -> None:
        context = mp.get_context("spawn")
        self._pipes: list[Connection] = []
        self._procs = []
        for k in range(processes):
            names = [f"dev{i}" for i in range(k, devices, processes)]
            ours, theirs = context.Pipe()
            proc = context.Process(target=_listener_process, args=(theirs, str(pki_dir), names))
            proc.start()
            self._pipes.append(ours)
            self._procs.append(proc)
        self.fleet: list[tuple[str, int]] = []
        for pipe in self._pipes:
            if not pipe.poll(600):
                raise RuntimeError("listener process did not start")
            self.fleet.extend(pipe.recv())

    def reset(self) -> None:
        for pipe in self._pipes:
            pipe.send("reset")
        for pipe in self._pipes:
            pipe.recv()

    def stats(self) -> tuple[int, float, float]:
        """(Notifications received, monotonic time of the last ack, CPU s since reset)."""
        for pipe in self._pipes:
            pipe.send("stats")
        replies = [pipe.recv() for pipe in self._pipes]
        return (
            sum(r[0] for r in replies),
            max(r[1] for r in replies),
            sum(r[2] for r in replies),
        )

    def close(self) -> None:
        for pipe in self._pipes:
            pipe.send("stop")
        for pipe, proc in zip(self._pipes, self._procs, strict=True):
            pipe.poll(30)
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=10)


# --- baselines ---------------------------------------------------------------------------


async def _bare(ports: list[int], context: ssl.SSLContext, post: bool) -> tuple[float, float]:
    """(per second, CPU ms each in this process) for handshakes [+ one POST] to ``ports``."""
    gate = asyncio.Semaphore(256)
    request = (
        b"POST /bare HTTP/1.1\r\nhost: x\r\ncontent-type: application/sep+xml\r\n"
        + f"content-length: {len(BARE_BODY)}\r\n\r\n".encode()
        + BARE_BODY
    )

    async def one(port: int) -> None:
        async with gate:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
            if post:
                writer.write(request)
                await writer.drain()
                await reader.readuntil(b"\r\n\r\n")
            writer.close()
            await writer.wait_closed()

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(port) for port in ports))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(ports) / elapsed, cpu / len(ports) * 1000


# --- the head-end --------------------------------------------------------------------------


def _fleet_in_store(store: Store, fleet: list[tuple[str, int]]) -> tuple[int, int]:
    """N EndDevices in one group and program, each subscribed to its DERControlList."""
    ctx = ServiceContext(now=int(time.time()), settings=ServerSettings())
    group = store.call(programs.create_group, ctx, description="fan-out")
    assert group.id is not None
    ids = [
        store.call(registration.register_end_device, ctx, lfdi=lfdi).id for lfdi, _port in fleet
    ]
    store.call(programs.assign_devices, ctx, group.id, ids)
    program = store.call(programs.create_program, ctx, primacy=1, group_ids=[group.id])
    assert program.id is not None
    for (lfdi, port), edev in zip(fleet, ids, strict=True):
        assert edev is not None
        body = sep.Subscription(
            subscribedResource=uris.der_control_list(edev, program.id),
            encoding=0,
            level="+S1",
            limit=10,
            notificationURI=f"https://127.0.0.1:{port}/n",
        )
        store.call(create_subscription, ctx, Scope(lfdi=lfdi, sfdi=0), edev, body)
    return group.id, program.id


def _pending_rows(session: Session) -> int:
    rows = session.execute(
        select(NotificationOutbox.id).where(NotificationOutbox.status == "pending")  # type: ignore[call-overload, arg-type]
    ).all()
    return len(rows)


def _outbox_summary(session: Session) -> str:
    """Outbox rows by (status, attempts): exactly once is every row delivered at attempt 1."""
    rows = session.execute(
        select(NotificationOutbox.status, NotificationOutbox.attempts)  # type: ignore[call-overload]
    ).all()
    counts = Counter((row.status, row.attempts) for row in rows)
    return ", ".join(f"{n} {status} after {attempts}" for (status, attempts), n in counts.items())


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _profile_in_process(store: Store, program_id: int, pki_paths: pki.PkiPaths) -> str:
    """A second control, delivered by a DeliveryWorker in this process under pyinstrument."""
    from pyinstrument import Profiler

    from openderms.server.notify.sink import OutboxChangeSink
    from openderms.server.notify.worker import DeliveryWorker

    ctx = ServiceContext(
        now=int(time.time()), settings=ServerSettings(), changes=OutboxChangeSink(ServerSettings())
    )
    store.call(
        programs.create_der_control,
        ctx,
        program_id=program_id,
        start_time=int(time.time()) + 7200,
        duration_s=600,
        modes=programs.ControlModes(op_mod_exp_lim_w=1000.0),
    )
    context = tls.client_context(
        pki_paths.server_cert, pki_paths.server_key, pki_paths.serca_cert, check_hostname=False
    )
    worker = DeliveryWorker(store, context)
    profiler = Profiler()
    cpu, started = time.process_time(), time.perf_counter()
    with profiler:
        report = await worker.drain(max_passes=10_000)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    head = (
        f"in-process worker under pyinstrument: {report.delivered} delivered in {elapsed:.1f} s, "
        f"{cpu / max(report.delivered, 1) * 1000:.2f} ms CPU each (profiler overhead included)\n"
    )
    return head + profiler.output_text(unicode=False, color=False)


def run(args: argparse.Namespace) -> None:
    _raise_fd_limit()
    with tempfile.TemporaryDirectory() as tmp:
        pki_dir = Path(tmp) / "pki"
        paths = pki.init_pki(pki_dir)
        started = time.perf_counter()
        load = LoadSide(pki_dir, args.devices, args.listener_procs)
        print(
            f"load side: {args.devices} listeners, each with its own certificate, in "
            f"{args.listener_procs} processes (made in {time.perf_counter() - started:.0f} s)"
        )
        schema = None
        if args.db == "postgres":
            base = os.environ["OPENDERMS_TEST_POSTGRES_URL"]
            schema = f"fanout_{uuid.uuid4().hex[:8]}"
            admin_engine = make_engine(base)
            with admin_engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            store = Store.open(base, schema=schema)
            joiner = "&" if "?" in base else "?"
            db_url = f"{base}{joiner}options={quote(f'-csearch_path={schema}')}"
        else:
            db_url = str(Path(tmp) / "server.db")
            store = Store.open(f"sqlite:///{db_url}")
        servers: list[ServerProcess] = []
        try:
            client_ctx = tls.client_context(
                paths.server_cert, paths.server_key, paths.serca_cert, check_hostname=False
            )
            ports = [port for _lfdi, port in load.fleet]
            sample = ports[: min(len(ports), 2000)]
            bare_hs, bare_hs_cpu = asyncio.run(_bare(sample, client_ctx, post=False))
            bare_post, bare_post_cpu = asyncio.run(_bare(sample, client_ctx, post=True))
            print(
                f"baseline bare mutual-TLS handshake: {bare_hs:6.0f} /s, "
                f"{bare_hs_cpu:.2f} ms CPU each on the sending side ({len(sample)} listeners)"
            )
            print(
                f"baseline bare handshake + POST + 201: {bare_post:6.0f} /s, "
                f"{bare_post_cpu:.2f} ms CPU each on the sending side"
            )
            started = time.perf_counter()
            group, program = _fleet_in_store(store, load.fleet)
            token = store.call(
                create_token, name="bench", role=AdminRole.UTILITY, aggregator_lfdi=None, now=1
            ).token
            print(f"fleet written in {time.perf_counter() - started:.0f} s ({args.db})")
            servers.extend(ServerProcess(pki_dir, db_url) for _ in range(args.servers))
            for server in servers:
                server.wait_ready()
            load.reset()
            cpu_before = [_cpu_s(s.process.pid) for s in servers]
            verify = ssl.create_default_context(cafile=str(paths.serca_cert))
            posted = time.monotonic()
            response = httpx.post(
                f"{servers[0].admin_url}/groups/{group}/controls",
                json={"duration_s": 3600, "modes": {"op_mod_exp_lim_w": 1500}},
                headers={"Authorization": f"Bearer {token}"},
                verify=verify,
                timeout=60,
            )
            answered = time.monotonic() - posted
            response.raise_for_status()
            received, last_ack, load_cpu = 0, posted, 0.0
            while time.monotonic() - posted < WAIT_LIMIT_S:
                received, last_ack, load_cpu = load.stats()
                if received >= args.devices:
                    break
                time.sleep(0.05)
            cpu = [_cpu_s(s.process.pid) - b for s, b in zip(servers, cpu_before, strict=True)]
            settle = time.monotonic() + 15  # outcomes are recorded in batches, just after
            while store.call(_pending_rows) and time.monotonic() < settle:
                time.sleep(0.1)
            outbox = store.call(_outbox_summary)
            for server in servers:
                server.stop()
            for server in servers:
                server.wait_stopped()
            profile = (
                asyncio.run(_profile_in_process(store, program, paths)) if args.profile else ""
            )
        finally:
            for server in servers:
                server.stop()
            for server in servers:
                server.wait_stopped()
            load.close()
            store.dispose()
            if schema is not None:
                with admin_engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin_engine.dispose()
        elapsed = last_ack - posted
        rate = received / elapsed if elapsed > 0 else 0.0
        print(
            f"fan-out  {args.devices} devices, {args.servers} server process(es) on {args.db}: "
            f"admin POST answered in {answered * 1000:.0f} ms; {received} Notifications "
            f"acknowledged, the last {elapsed:6.2f} s after the POST = {rate:6.0f} /s "
            f"(ratio to bare POST {rate / bare_post:4.2f}, to bare handshake "
            f"{rate / bare_hs:4.2f})"
        )
        print(
            f"CPU during fan-out: server process(es) {' + '.join(f'{c:.1f}' for c in cpu)} s "
            f"({sum(cpu) / max(received, 1) * 1000:.2f} ms per Notification); load side "
            f"{load_cpu:.1f} s ({load_cpu / max(received, 1) * 1000:.2f} ms per Notification)"
        )
        print(f"outbox: {outbox}")
        if received < args.devices:
            print(f"NOT ALL DELIVERED within {WAIT_LIMIT_S:.0f} s: {received}/{args.devices}")
        if profile:
            print(profile[:15000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=1, choices=(1, 2))
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--listener-procs", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.db == "postgres" and not os.environ.get("OPENDERMS_TEST_POSTGRES_URL"):
        parser.error("--db postgres needs $OPENDERMS_TEST_POSTGRES_URL")
    run(args)


if __name__ == "__main__":
    main()
