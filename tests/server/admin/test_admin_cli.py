"""`openderms admin ...` against a real admin listener over TLS on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config

from openderms.certs import pki
from openderms.cli import main
from openderms.server.admin.app import create_admin_app
from openderms.server.admin.tokens import create_token, ensure_bootstrap_token
from openderms.server.store.admin import AdminRole
from openderms.server.store.db import Store

LFDI = "3E4F45AB31EDFE5B67E343E5E4562E31984E23E5"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def admin_server(tmp_path: Path) -> Iterator[tuple[str, Path, str, Store]]:
    paths = pki.init_pki(tmp_path / "pki")
    store = Store.open(f"sqlite:///{tmp_path / 'server.db'}")
    token = store.call(
        create_token, name="ops", role=AdminRole.UTILITY, aggregator_lfdi=None, now=1
    ).token
    app = create_admin_app(store)
    config = Config()
    port = _free_port()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile, config.keyfile = str(paths.server_cert), str(paths.server_key)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()

    def run() -> None:
        loop.run_until_complete(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.05).close()
            break
        except OSError:
            threading.Event().wait(0.025)
    yield f"https://127.0.0.1:{port}", paths.serca_cert, token, store
    loop.call_soon_threadsafe(stop.set)
    thread.join(timeout=10)
    store.dispose()


def test_cli_registers_lists_and_shows_a_device_over_tls(
    admin_server: tuple[str, Path, str, Store], capsys: pytest.CaptureFixture[str]
) -> None:
    url, ca, token, _ = admin_server
    common = ["--url", url, "--ca", str(ca), "--token", token]
    assert main(["admin", "register-device", *common, "--lfdi", LFDI, "--pin", "123455"]) == 0
    assert main(["admin", "list-devices", *common]) == 0
    assert main(["admin", "show-device", *common, LFDI]) == 0
    out = capsys.readouterr().out
    assert out.count(LFDI) == 3
    assert '"sfdi": 167261211391' in out  # the standard's example LFDI -> SFDI


def test_cli_reports_a_refusal_with_a_nonzero_status(
    admin_server: tuple[str, Path, str, Store], capsys: pytest.CaptureFixture[str]
) -> None:
    url, ca, _, _ = admin_server
    code = main(["admin", "list-devices", "--url", url, "--ca", str(ca), "--token", "od_wrong"])
    assert code == 1
    assert "unauthorized" in capsys.readouterr().err


def test_cli_refuses_a_server_not_signed_by_the_given_ca(
    admin_server: tuple[str, Path, str, Store], tmp_path: Path
) -> None:
    url, _, token, _ = admin_server
    other = pki.init_pki(tmp_path / "other")
    code = main(
        ["admin", "list-devices", "--url", url, "--ca", str(other.serca_cert), "--token", token]
    )
    assert code == 3


def test_bootstrap_token_file_is_private_and_made_once(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'server.db'}")
    first = store.call(ensure_bootstrap_token, tmp_path / "data", now=1)
    second = store.call(ensure_bootstrap_token, tmp_path / "data", now=2)
    store.dispose()
    assert first is not None and second is None
    assert first.stat().st_mode & 0o777 == 0o600
    assert first.read_text().strip().startswith("od_")


def test_token_create_with_db_writes_a_working_token_without_the_api(
    admin_server: tuple[str, Path, str, Store],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    url, ca, _, _ = admin_server
    db = f"sqlite:///{tmp_path / 'server.db'}"
    assert main(["admin", "token", "create", "--db", db, "--name", "recovery"]) == 0
    issued = json.loads(capsys.readouterr().out)
    assert (
        main(["admin", "list-devices", "--url", url, "--ca", str(ca), "--token", issued["token"]])
        == 0
    )


def test_cli_authors_groups_programs_controls_defaults_and_rates(
    admin_server: tuple[str, Path, str, Store], capsys: pytest.CaptureFixture[str]
) -> None:
    """Each verb's arguments become the body the API expects (checked by the API's answers)."""
    import json

    url, ca, token, _ = admin_server
    common = ["--url", url, "--ca", str(ca), "--token", token]

    def run(*argv: str) -> dict[str, object]:
        assert main(["admin", argv[0], *common, *argv[1:]]) == 0, capsys.readouterr().err
        answer: dict[str, object] = json.loads(capsys.readouterr().out)
        return answer

    run("register-device", "--lfdi", LFDI)
    group = run("create-group", "--description", "feeder 12")
    assert run("assign", "--group", str(group["id"]), "--lfdi", LFDI)["added"] == 1
    program = run("create-program", "--primacy", "10", "--group", str(group["id"]))
    control = run(
        "create-control",
        "--group",
        str(group["id"]),
        "--duration",
        "3600",
        "--export-limit-w",
        "1500",
        "--connect",
        "yes",
    )
    device_control = run("create-control", "--lfdi", LFDI, "--duration", "60", "--target-w", "0")
    cancelled = run("cancel-control", str(control["id"]), "--randomized")
    listed = run("list-controls", "--lfdi", LFDI)
    default = run(
        "set-default-control", "--program", str(program["id"]), "--export-limit-w", "5000"
    )
    rates = run("set-rates", "--poll", "60", "--post", "300", "--lfdi", LFDI)

    assert control["program_id"] == program["id"]
    assert control["modes"] == {"op_mod_exp_lim_w": 1500.0, "op_mod_connect": True}
    assert device_control["program_id"] != program["id"]  # the device's private program
    assert cancelled["cancel_randomized"] is True and cancelled["cancelled_time"] is not None
    assert default["modes"] == {"op_mod_exp_lim_w": 5000.0}
    assert (rates["scope"], rates["poll_rate_s"], rates["post_rate_s"]) == ("device", 60, 300)
    listed_ids = {c["id"] for p in listed["programs"] for c in p["controls"]}  # type: ignore[attr-defined]
    assert listed_ids == {control["id"], device_control["id"]}


def test_cli_takes_the_ca_from_the_environment_and_relative_start_times(
    admin_server: tuple[str, Path, str, Store],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json
    import time

    url, ca, token, _ = admin_server
    monkeypatch.setenv("OPENDERMS_ADMIN_CA", str(ca))
    common = ["--url", url, "--token", token]  # no --ca: $OPENDERMS_ADMIN_CA
    assert main(["admin", "register-device", *common, "--lfdi", LFDI]) == 0
    capsys.readouterr()
    before = int(time.time())
    args = ["--lfdi", LFDI, "--duration", "60", "--export-limit-w", "0"]
    assert main(["admin", "create-control", *common, *args, "--start", "+10m"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert before + 600 <= made["start"] <= int(time.time()) + 600
    assert main(["admin", "create-control", *common, *args, "--start", "2027-01-15T08:00Z"]) == 0
    assert json.loads(capsys.readouterr().out)["start"] == 1_800_000_000
    with pytest.raises(SystemExit):
        main(["admin", "create-control", *common, *args, "--start", "soonish"])
    assert "--start" in capsys.readouterr().err


def test_show_device_prints_der_resources_as_fields_not_xml() -> None:
    from openderms.client.sep2 import messages
    from openderms.schemas.sep2.codec import encode
    from openderms.schemas.sep2.enums import DERType
    from openderms.server.admin.cli import _with_parsed_resources

    facts = messages.DerFacts(
        der_type=DERType.PHOTOVOLTAIC, rated_w=5000, connected=True, available_w=4200
    )
    xml = encode(messages.der_status(facts, now=1_800_000_000)).decode()
    shown = _with_parsed_resources({"latest": {"DERStatus": {"received_time": 1, "xml": xml}}})
    entry = shown["latest"]["DERStatus"]
    assert "xml" not in entry
    assert entry["fields"]["readingTime"] == 1_800_000_000
    assert entry["meaning"]["genConnectStatus"].startswith("connected")


def test_cli_output_has_no_per_request_library_lines(
    admin_server: tuple[str, Path, str, Store], caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    url, ca, token, _ = admin_server
    caplog.set_level(logging.INFO)
    assert main(["admin", "list-devices", "--url", url, "--ca", str(ca), "--token", token]) == 0
    assert [r for r in caplog.records if r.name.startswith(("httpx", "httpcore"))] == []
    assert (
        main(["-v", "admin", "list-devices", "--url", url, "--ca", str(ca), "--token", token]) == 0
    )
    assert any(r.name == "httpx" for r in caplog.records)  # -v brings them back


def test_a_token_file_of_another_database_is_set_aside_not_reused(tmp_path: Path) -> None:
    import os

    from openderms.server.admin.tokens import authenticate

    data = tmp_path / "data"
    data.mkdir()
    stale = data / "admin-token"
    stale.write_text("od_from-the-database-before-the-reset\n")
    os.utime(stale, (1, 1))  # written long ago, not a bootstrap in progress
    store = Store.open(f"sqlite:///{tmp_path / 'server.db'}")
    written = store.call(ensure_bootstrap_token, data, now=1_800_000_000)
    assert written == data / "admin-token"
    token = written.read_text().strip()
    assert store.call(authenticate, f"Bearer {token}").name == "bootstrap"  # it works here
    assert (data / "admin-token.stale-1800000000").read_text().startswith("od_from-the")
    store.dispose()


def test_a_token_file_being_written_by_another_process_is_left_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "admin-token").write_text("")  # another server on this database just made it
    store = Store.open(f"sqlite:///{tmp_path / 'server.db'}")
    assert store.call(ensure_bootstrap_token, data, now=1) is None
    store.dispose()
    assert (data / "admin-token").read_text() == ""
    assert list(data.iterdir()) == [data / "admin-token"]
