"""`openderms client --config site.toml`: the file is checked when it loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from openderms.client.config import ConfigError, load_config

GOOD = """
[gateway]
name = "site-7"
store = "state/gw.sqlite"

[server]
dcap_url = "https://127.0.0.1:8443/dcap"

[tls]
cert = "pki/site-7.pem"
key = "pki/site-7.key"
ca = "pki/serca.pem"

[registration]
mode = "out-of-band"
pin = 111115

[timing]
poll_s = 5
backoff_max_s = 2.5

[fallback]
export_limit_w = 1500
connect = true

[[devices]]
name = "inverter"
port = 1502
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text)
    return path


def test_good_config_loads_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.name == "site-7"
    assert config.store_path == (tmp_path / "state/gw.sqlite").resolve()
    assert config.cert_path == (tmp_path / "pki/site-7.pem").resolve()
    assert not config.register_in_band
    assert config.pin == 111115
    assert config.timing.poll_s == 5.0
    assert config.timing.backoff_max_s == 2.5
    assert config.fallback.export_limit_w == 1500.0
    assert config.fallback.connect is True
    assert config.devices == ({"name": "inverter", "port": 1502},)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('dcap_url = "https://127.0.0.1:8443/dcap"', "", "dcap_url is required"),
        ('mode = "out-of-band"', 'mode = "magic"', "mode must be"),
        ("poll_s = 5", 'poll_s = "fast"', "poll_s must be a number"),
        ("poll_s = 5", "poll_s = -5", "must not be negative"),
        ("poll_s = 5", "pol_s = 5", "unknown keys"),
        ("connect = true", "connect = 1", "connect must be true or false"),
        ("pin = 111115", 'pin = "1234"', "pin must be"),
    ],
)
def test_bad_config_is_refused_with_the_reason(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, GOOD.replace(old, new)))


def test_dns_sd_discovery_needs_no_url(tmp_path: Path) -> None:
    text = GOOD.replace('dcap_url = "https://127.0.0.1:8443/dcap"', 'discovery = "dns-sd"')
    assert load_config(write(tmp_path, text)).dcap_url is None


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.toml")


def test_documented_example_config_loads(tmp_path: Path) -> None:
    """The site.toml in the module docstring is a working configuration."""
    import textwrap

    import openderms.client.config as module
    from openderms.client.devices.site import DeviceConfig

    doc = module.__doc__ or ""
    example = textwrap.dedent(doc.split("Example ``site.toml``::", 1)[1])
    config = load_config(write(tmp_path, example))
    assert config.dcap_url == "https://utility.example:8443/dcap"
    assert config.register_in_band and config.pin == 111115
    assert config.fallback.export_limit_w == 1500.0
    assert [DeviceConfig.from_mapping(d).name for d in config.devices] == ["pv"]


def run_client_verb(*argv: str) -> int:
    """`openderms client ...` through the verb's own parser (without the other verbs)."""
    import argparse

    from openderms.client import cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["client", *argv])
    return int(args.handler(args))


def test_client_command_refuses_a_config_it_cannot_start_with(tmp_path: Path) -> None:
    """Missing certificate files end `openderms client` with status 2 and a reason."""
    assert run_client_verb("--config", str(write(tmp_path, GOOD)), "--duration", "1") == 2


def test_client_command_refuses_a_bad_config_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('mode = "out-of-band"', 'mode = "magic"'))
    assert run_client_verb("--config", str(path)) == 2
