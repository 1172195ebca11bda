"""`openderms server` as a real subprocess, and admin API calls to it, for notify tests."""

from __future__ import annotations

import queue
import re
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from openderms.certs.pki import DeviceFiles
from openderms.certs.tls import client_context
from openderms.schemas.sep2 import encode
from openderms.schemas.sep2 import models as sep


class ServerProcess:
    """`openderms server` in a subprocess; reads its announced addresses."""

    def __init__(self, certs: Path, db_url: str) -> None:
        """Start the process; call `wait_ready` before talking to it."""
        self.certs = certs
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "openderms.cli",
                "server",
                "--certs",
                str(certs),
                "--db",
                db_url,
                "--listen",
                "127.0.0.1:0",
                "--admin-listen",
                "127.0.0.1:0",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        self.sep2_url = self.admin_url = ""

    def wait_ready(self) -> ServerProcess:
        self.sep2_url, self.admin_url = self._wait_for_addresses(timeout_s=30)
        return self

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def _wait_for_addresses(self, timeout_s: float) -> tuple[str, str]:
        found: dict[str, str] = {}
        deadline = time.monotonic() + timeout_s
        while len(found) < 2:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.process.poll() is not None:
                raise RuntimeError("server did not start:\n" + "".join(self.log))
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            self.log.append(line)
            matched = re.match(r"(2030\.5|admin) listening on (\S+)", line)
            if matched:
                found[matched.group(1)] = matched.group(2)
        return found["2030.5"], found["admin"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()

    def wait_stopped(self) -> None:
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def admin_call(server: ServerProcess, token: str, method: str, path: str, body: object) -> dict:  # type: ignore[type-arg]
    assert server.admin_url.startswith("https://")  # the admin API is served over TLS
    response = httpx.request(
        method,
        server.admin_url + path,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
        verify=ssl.create_default_context(cafile=server.certs / "serca.pem"),
    )
    assert response.is_success, response.text
    result: dict = response.json()  # type: ignore[type-arg]
    return result


def subscribe(
    server: ServerProcess,
    device: DeviceFiles,
    serca: Path,
    edev: int,
    resource: str,
    *,
    notification_uri: str,
    limit: int,
) -> None:
    """POST a Subscription to ``resource`` (XML, level +S1) as ``device`` over mutual TLS."""
    subscription = sep.Subscription(
        subscribedResource=resource,
        encoding=0,
        level="+S1",
        limit=limit,
        notificationURI=notification_uri,
    )
    tls = client_context(device.cert, device.key, serca)
    with httpx.Client(verify=tls, timeout=10) as client:
        posted = client.post(
            f"{server.sep2_url}/edev/{edev}/sub",
            content=encode(subscription),
            headers={"Content-Type": "application/sep+xml"},
        )
    assert posted.status_code == 201, posted.text
