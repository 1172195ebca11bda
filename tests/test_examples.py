"""The example configuration files in examples/ load as the README says."""

from __future__ import annotations

from pathlib import Path

from openderms.client.config import load_config
from openderms.client.devices.site import DeviceConfig
from openderms.server.config import ServerSettings, load_settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_the_example_server_toml_loads_with_every_key_known() -> None:
    settings = load_settings(EXAMPLES / "server.toml")
    assert settings.extra == {}  # no key is a typo that would be ignored
    assert settings.admin_listen == "127.0.0.1:8080"
    assert settings.certs_dir == Path("pki")
    defaults = ServerSettings()
    assert (settings.listen, settings.poll_rate_s, settings.post_rate_s) == (
        defaults.listen,
        defaults.poll_rate_s,
        defaults.post_rate_s,
    )


def test_the_example_site_toml_loads_and_its_devices_build() -> None:
    config = load_config(EXAMPLES / "site.toml")
    assert config.dcap_url == "https://127.0.0.1:8443/dcap"
    assert config.cert_path == (EXAMPLES / "pki" / "site-1.pem").resolve()
    assert not config.register_in_band and config.pin == 111115
    assert config.fallback.export_limit_w == 1500
    devices = [DeviceConfig.from_mapping(entry) for entry in config.devices]  # maps resolve
    assert [(d.name, d.map.kind.value) for d in devices] == [
        ("pv", "pv"),
        ("battery", "battery"),
        ("meter", "meter"),
    ]
