"""Pure pieces of the head-end: EventStatus table, power encoding, paging, config."""

from __future__ import annotations

from pathlib import Path

import pytest

from openderms.server.config import ConfigError, load_settings, parse_host_port
from openderms.server.errors import BadRequestError
from openderms.server.mappers.common import INT16_MAX, active_power, power_w
from openderms.server.mappers.event_status import (
    ControlFacts,
    EventStatusCode,
    event_status_at,
)
from openderms.server.store.paging import parse_page

FACTS = ControlFacts(creation_time=100, start_time=1000, duration_s=600)


@pytest.mark.parametrize(
    ("facts", "now", "code", "date_time"),
    [
        (FACTS, 500, EventStatusCode.SCHEDULED, 100),
        (FACTS, 1000, EventStatusCode.ACTIVE, 1000),
        (ControlFacts(100, 1000, 600, cancelled_time=900), 950, EventStatusCode.CANCELLED, 900),
        (
            ControlFacts(100, 1000, 600, cancelled_time=900, cancel_randomized=True),
            950,
            EventStatusCode.CANCELLED_WITH_RANDOMIZATION,
            900,
        ),
        (ControlFacts(100, 1000, 600, superseded_time=800), 1200, EventStatusCode.SUPERSEDED, 800),
        # A fact recorded in the future of `now` does not apply yet (replaying history).
        (ControlFacts(100, 1000, 600, cancelled_time=900), 850, EventStatusCode.SCHEDULED, 100),
    ],
)
def test_event_status_follows_the_table(
    facts: ControlFacts, now: int, code: EventStatusCode, date_time: int
) -> None:
    status = event_status_at(facts, now)
    assert (status.code, status.date_time) == (code, date_time)


def test_superseded_wins_over_cancelled() -> None:
    facts = ControlFacts(100, 1000, 600, cancelled_time=950, superseded_time=900)
    assert event_status_at(facts, 1000).code is EventStatusCode.SUPERSEDED


@pytest.mark.parametrize("watts", [0.0, 1.0, 1500.0, -2500.0, 32767.0, 40000.0, -5_000_000.0])
def test_active_power_fits_int16_and_keeps_the_value(watts: float) -> None:
    value, multiplier = active_power(watts)
    assert abs(value) <= INT16_MAX and multiplier >= 0
    assert power_w(value, multiplier) == pytest.approx(watts, rel=1e-3)


def test_active_power_uses_no_multiplier_when_watts_fit() -> None:
    assert active_power(1500.0) == (1500, 0)


def test_paging_defaults_and_caps() -> None:
    page = parse_page({}, default_limit=1, max_limit=100)
    assert (page.start, page.after, page.limit) == (0, None, 1)
    page = parse_page({"s": "3", "a": "99", "l": "1000"}, default_limit=1, max_limit=100)
    assert (page.start, page.after, page.limit) == (3, 99, 100)


@pytest.mark.parametrize("query", [{"s": "-1"}, {"l": "x"}, {"a": "1.5"}])
def test_paging_refuses_bad_values(query: dict[str, str]) -> None:
    with pytest.raises(BadRequestError):
        parse_page(query, default_limit=1, max_limit=100)


def test_settings_load_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "server.toml"
    path.write_text(
        '[server]\npoll_rate_s = 60\ntrusted_proxies = ["10.0.0.1"]\nadmin_token_ttl = 5\n'
    )
    settings = load_settings(path)
    assert settings.poll_rate_s == 60
    assert settings.trusted_proxies == ("10.0.0.1",)
    assert settings.extra == {"admin_token_ttl": 5}


def test_settings_refuse_a_wrong_type(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("poll_rate_s = [1]\nlisten = 5\nbogus = [\n")
    with pytest.raises(ConfigError):
        load_settings(path)


def test_host_port_parsing() -> None:
    assert parse_host_port("127.0.0.1:8443") == ("127.0.0.1", 8443)
    assert parse_host_port("[::1]:80") == ("::1", 80)
    with pytest.raises(ConfigError):
        parse_host_port("nope")
