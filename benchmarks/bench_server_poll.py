"""Benchmark: simulated 2030.5 devices polling their DERControlList over mutual TLS.

Every simulated device has its own certificate (issued from a fresh PKI at start). The
head-end runs in its own process (hypercorn + quart + SQLite WAL or PostgreSQL); the
devices run in this process as asyncio tasks speaking HTTP/1.1 on raw TLS streams (a
light client, so that the client costs less than the server). Two modes:

* keep-alive: each device keeps one TLS connection and polls on it as fast as it can;
* new connection: each poll makes a new TLS handshake (ECDHE-ECDSA P-256), as a device
  that polls every 5 minutes would.

In the same run, a bare hypercorn app with the same TLS settings (the 2030.5 cipher
profile, client certificates required) answers fixed bytes of the same length; the
ratio ours/bare shows what the 2030.5 stack (identity, access checks, DB, XML) costs.

Usage::

    python benchmarks/bench_server_poll.py                      # 1,000 devices, 10 s/mode
    python benchmarks/bench_server_poll.py --devices 10000 --seconds 20
    python benchmarks/bench_server_poll.py --db postgresql://postgres@127.0.0.1:5432/bench
    python benchmarks/bench_server_poll.py --devices 200 --seconds 5 --profile

Each mode also prints the load generator's CPU as a share of one core: near 100 % it, not
the server, sets the pace (the figures are then a lower bound of the server's).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import signal
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOW_OFFSET_S = 60


@dataclass
class Device:
    name: str
    context: ssl.SSLContext
    path: str  # the DERControlList href this device polls


# --- servers (run in child processes) ---------------------------------------------------


def _serve(
    kind: str,
    pki_dir: str,
    db_url: str,
    body_len: int,
    inline: bool | None,
    queue: Any,
    profile: bool = False,
) -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    from openderms.certs.pki import PkiPaths
    from openderms.server.hypercorn_tls import hypercorn_config
    from openderms.server.runner import Listener, ServingHandle, serve

    paths = PkiPaths.in_directory(Path(pki_dir))
    config = hypercorn_config(paths.server_cert, paths.server_key, paths.serca_cert)
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    config.backlog = 4096
    # Longer than opening every keep-alive connection takes (10,000 handshakes).
    config.keep_alive_timeout = 900

    if kind == "ours":
        from openderms.server.app import create_app
        from openderms.server.config import ServerSettings
        from openderms.server.store.db import Store

        store = Store.open(db_url, inline=inline)
        app: Any = create_app(ServerSettings(list_limit_default=10), store)
    else:
        fixed = b"x" * body_len
        headers = [
            (b"content-type", b"application/sep+xml"),
            (b"content-length", str(len(fixed)).encode()),
        ]

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "lifespan":
                while True:
                    message = await receive()
                    if message["type"] == "lifespan.startup":
                        await send({"type": "lifespan.startup.complete"})
                    else:
                        await send({"type": "lifespan.shutdown.complete"})
                        return
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": fixed})

    async def main() -> None:
        handle = ServingHandle()
        stop = asyncio.Event()
        # SIGTERM ends the run cleanly, so a profile can still be printed.
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        task = asyncio.create_task(
            serve([Listener(app, config, kind)], shutdown_trigger=stop.wait, handle=handle)
        )
        await handle.ready.wait()
        queue.put(handle.addresses[kind][0][1])
        await task

    if not profile:
        asyncio.run(main())
        return
    from pyinstrument import Profiler

    profiler = Profiler()
    with profiler:
        asyncio.run(main())
    sys.stdout.write(f"--- profile of the {kind} server process ---\n")
    sys.stdout.write(profiler.output_text(unicode=False, color=False)[:12000])
    sys.stdout.flush()


# --- setup -------------------------------------------------------------------------------


def _setup(pki_dir: Path, db_url: str, count: int) -> list[Device]:
    from openderms.certs.pki import init_pki, issue_device
    from openderms.certs.tls import client_context
    from openderms.server.config import ServerSettings
    from openderms.server.scope import ServiceContext
    from openderms.server.services import programs, registration
    from openderms.server.services.programs import ControlModes
    from openderms.server.store.db import Store

    paths = init_pki(pki_dir)
    store = Store.open(db_url)
    now = int(time.time())
    ctx = ServiceContext(now=now, settings=ServerSettings())
    group = store.call(programs.create_group, ctx, description="bench")
    program = store.call(programs.create_program, ctx, primacy=1, group_ids=[group.id])
    for i in range(3):  # a scheduled, an active and a cancelled control
        row = store.call(
            programs.create_der_control,
            ctx,
            program_id=program.id,
            start_time=now - NOW_OFFSET_S + 3600 * i,
            duration_s=1800,
            modes=ControlModes(op_mod_exp_lim_w=1500.0 * (i + 1), op_mod_connect=True),
        )
        if i == 2:
            store.call(programs.cancel_der_control, ctx, row.id)
    devices: list[Device] = []
    ids: list[int] = []
    for i in range(count):
        files = issue_device(pki_dir, f"dev{i}")
        row = store.call(registration.register_end_device, ctx, lfdi=files.identity.lfdi)
        ids.append(row.id)
        context = client_context(files.cert, files.key, paths.serca_cert, check_hostname=False)
        devices.append(Device(f"dev{i}", context, f"/edev/{row.id}/derp/{program.id}/derc"))
    store.call(programs.assign_devices, ctx, group.id, ids)
    store.dispose()
    return devices


# --- the load ----------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length)
    return status, body


def _request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\nAccept: application/sep+xml\r\n\r\n".encode()


async def _connect(
    device: Device, port: int, gate: asyncio.Semaphore
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    # A fleet does not handshake all at once: at most `gate` handshakes are in flight.
    async with gate:
        try:
            return await asyncio.open_connection("127.0.0.1", port, ssl=device.context)
        except (OSError, ssl.SSLError):
            return None


async def _poll_keepalive(
    device: Device,
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    deadline: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    reader, writer = stream
    request = _request(device.path)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status, _ = await _read_response(reader)
            if status != 200:
                errors.append(f"status {status}")
                return
            latencies.append(time.perf_counter() - started)
    except (OSError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
        errors.append(f"io: {exc!r}")
    finally:
        writer.close()


async def _poll_new_connection(
    device: Device, port: int, deadline: float, latencies: list[float], errors: list[str]
) -> None:
    request = _request(device.path)
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=device.context)
            writer.write(request)
            status, _ = await _read_response(reader)
            writer.close()
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
            errors.append(f"io: {exc!r}")
            continue
        if status != 200:
            errors.append(f"status {status}")
            return
        latencies.append(time.perf_counter() - started)


async def _run_mode(
    devices: list[Device], port: int, seconds: float, keepalive: bool
) -> tuple[int, float, list[float], list[str]]:
    """Polls for `seconds`; keep-alive connections are all opened before the clock starts."""
    latencies: list[float] = []
    errors: list[str] = []
    if keepalive:
        gate = asyncio.Semaphore(256)
        streams = await asyncio.gather(*(_connect(d, port, gate) for d in devices))
        errors.extend("connect failed" for stream in streams if stream is None)
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(
                _poll_keepalive(d, stream, deadline, latencies, errors)
                for d, stream in zip(devices, streams, strict=True)
                if stream is not None
            )
        )
    else:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(_poll_new_connection(d, port, deadline, latencies, errors) for d in devices)
        )
    elapsed = time.perf_counter() - started
    return len(latencies), elapsed, latencies, errors


async def _first_body(device: Device, port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=device.context)
    writer.write(_request(device.path))
    status, body = await _read_response(reader)
    writer.close()
    assert status == 200, body
    return body


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _start(
    kind: str, pki: Path, db_url: str, body_len: int, inline: bool | None, profile: bool = False
) -> tuple[Any, int]:
    mp = multiprocessing.get_context("spawn")
    queue = mp.Queue()
    process = mp.Process(
        target=_serve, args=(kind, str(pki), db_url, body_len, inline, queue, profile)
    )
    process.start()
    return process, int(queue.get(timeout=60))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each mode")
    parser.add_argument("--db", help="database URL (default: a SQLite file in a temp dir)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="devices polling at once in new-connection mode (default: all)",
    )
    parser.add_argument(
        "--inline",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run services on the event loop (default: SQLite yes, PostgreSQL no)",
    )
    parser.add_argument(
        "--modes",
        default="keep-alive,new connection",
        help="comma-separated: keep-alive, new connection",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run our server process under pyinstrument and print where its time went",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        pki = Path(tmp) / "pki"
        db_url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        t0 = time.perf_counter()
        devices = _setup(pki, db_url, args.devices)
        sys.stdout.write(
            f"setup: {len(devices)} devices with their own certificates in "
            f"{time.perf_counter() - t0:.1f} s; db {db_url.split('://')[0]}\n"
        )
        results: dict[tuple[str, str], tuple[float, float, float, int]] = {}
        body_len = 0
        for kind in ("ours", "bare"):
            process, port = _start(
                kind, pki, db_url, body_len, args.inline, args.profile and kind == "ours"
            )
            try:
                if kind == "ours":
                    body_len = len(asyncio.run(_first_body(devices[0], port)))
                modes = [m.strip() for m in args.modes.split(",")]
                for mode in modes:
                    keepalive = mode == "keep-alive"
                    polling = devices
                    if not keepalive and args.concurrency:
                        polling = devices[: args.concurrency]
                    client_cpu = time.process_time()
                    count, elapsed, latencies, errors = asyncio.run(
                        _run_mode(polling, port, args.seconds, keepalive)
                    )
                    client_cpu = time.process_time() - client_cpu
                    rate = count / elapsed
                    p50 = _percentile(latencies, 0.50) * 1000
                    p99 = _percentile(latencies, 0.99) * 1000
                    results[(kind, mode)] = (rate, p50, p99, len(errors))
                    sys.stdout.write(
                        f"{kind:5s} {mode:15s} {rate:8.0f} req/s  p50 {p50:7.1f} ms  "
                        f"p99 {p99:7.1f} ms  errors {len(errors)}  "
                        f"load generator CPU {client_cpu / elapsed * 100:3.0f}% of one core"
                        + (f" (first: {errors[0]})" if errors else "")
                        + "\n"
                    )
                    sys.stdout.flush()
            finally:
                process.terminate()
                process.join(timeout=60)  # a profile takes a while to print
                if process.is_alive():
                    process.kill()
                    process.join(timeout=10)
        sys.stdout.write(f"response body {body_len} bytes (DERControlList of 3 controls)\n")
        for mode in modes:
            ours, bare = results[("ours", mode)], results[("bare", mode)]
            sys.stdout.write(
                f"ratio ours/bare {mode:15s} throughput {ours[0] / bare[0]:.2f}  "
                f"p50 {ours[1] / bare[1]:.2f}x  p99 {ours[2] / bare[2]:.2f}x\n"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
