"""The dashboard in a real browser: Debian's Chromium driven by playwright over TLS.

Log-in, every page, authoring and cancelling a control (through the admin API's own
operations, so the audit log shows them), a CSV download, log-out, a wrong token and an
aggregator's scoped view. Under ``CI=true`` a missing Chromium fails the run; elsewhere
these tests skip with the reason. Set ``OPENDERMS_SCREENSHOT_DIR`` to keep a PNG of each
page.
"""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_testlib import AGGREGATOR_DEVICE, SITE_POWER_W, UTILITY_DEVICE, DashboardServer
from sqlmodel import Session, select

from openderms.server.store.admin import AuditRecord
from openderms.server.store.models import DERControlRow

CHROMIUM = Path(os.environ.get("OPENDERMS_CHROMIUM", "/usr/bin/chromium"))
#: Longest wait for one page or element [ms] (a loaded CI machine is slow, never stuck).
WAIT_MS = 15_000

pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


def _need_browser() -> Any:
    """playwright's async API, or a skip (a failure under CI) saying what is missing."""
    reason = None
    try:
        from playwright import async_api  # optional until a browser test runs
    except ImportError:
        reason = "playwright is not installed (pip install -e '.[dev]')"
    if reason is None and not (CHROMIUM.exists() or shutil.which(str(CHROMIUM))):
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    return async_api


@pytest.fixture
async def page(dashboard: DashboardServer) -> AsyncIterator[Any]:
    """A fresh Chromium page (its own cookie jar) that trusts the test server's TLS."""
    api = _need_browser()
    async with api.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM))
        try:
            context = await browser.new_context(
                ignore_https_errors=True,  # the 2030.5 server certificate names no host
                accept_downloads=True,
                viewport={"width": 1280, "height": 900},
            )
            context.set_default_timeout(WAIT_MS)
            tab = await context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            tab.on(
                "console",
                lambda msg: (
                    errors.append(f"{msg.text} {msg.location}")
                    if msg.type == "error" and not _expected(msg.location.get("url", ""))
                    else None
                ),
            )
            yield tab
            assert errors == [], errors  # no script error, no CSP violation on any page
        finally:
            await browser.close()


def _expected(url: str) -> bool:
    """Error pages a test asks for on purpose (they log "failed to load resource")."""
    return url.endswith(f"/devices/{UTILITY_DEVICE}") or url.endswith("/login")


async def _shot(page: Any, name: str) -> None:
    out = os.environ.get("OPENDERMS_SCREENSHOT_DIR")
    if out:  # playwright makes the folder
        await page.screenshot(path=os.path.join(out, f"{name}.png"), full_page=True)


async def _log_in(page: Any, srv: DashboardServer, token: str) -> None:
    await page.goto(f"{srv.base_url}/dashboard/")
    assert "/dashboard/login" in page.url  # not logged in yet: sent to the login page
    await page.fill("#token", token)
    async with page.expect_navigation():
        await page.click("form button[type=submit]")


def _audit(srv: DashboardServer) -> list[AuditRecord]:
    def read(session: Session) -> list[AuditRecord]:
        return list(session.exec(select(AuditRecord).order_by(AuditRecord.id)).all())

    return srv.store.call(read)


def _control(srv: DashboardServer, description: str) -> DERControlRow | None:
    def read(session: Session) -> DERControlRow | None:
        return session.exec(
            select(DERControlRow).where(DERControlRow.description == description)
        ).first()

    return srv.store.call(read)


async def test_a_browser_logs_in_sees_every_page_and_logs_out(
    dashboard: DashboardServer, page: Any
) -> None:
    base = dashboard.base_url
    await _log_in(page, dashboard, dashboard.utility_token)
    assert page.url == f"{base}/dashboard/"
    await _shot(page, "fleet")
    assert "Fleet overview" in await page.inner_text("h1")
    assert UTILITY_DEVICE[:12] in await page.content()
    for path, heading in (
        ("/dashboard/live", "Live"),
        ("/dashboard/programs", "Programs"),
        ("/dashboard/energy", "Energy"),
        (f"/dashboard/devices/{UTILITY_DEVICE}", "Device"),
        ("/dashboard/author", "Schedule a control"),
        ("/dashboard/manage", "Manage the fleet"),
        ("/dashboard/audit", "Audit log"),
        ("/dashboard/api-docs", "Admin API"),
        (f"/dashboard/reports/controls/{dashboard.seeded.active_control_id}", "Compliance report"),
    ):
        response = await page.goto(base + path)
        assert response.status == 200, path
        assert heading in await page.inner_text("h1"), path
        await _shot(page, heading.split()[0].lower())
    # Swagger UI lists the admin API's operations from its OpenAPI document.
    await page.goto(f"{base}/dashboard/api-docs")
    await page.wait_for_selector("#swagger .opblock-summary-path")
    paths = await page.locator("#swagger .opblock-summary-path").all_text_contents()
    assert any("/devices/{lfdi}/controls" in p.replace("\u200b", "") for p in paths), paths
    await _shot(page, "api-docs")
    # The live view's script drew its plot from the JSON API with a UTC time axis.
    await page.goto(f"{base}/dashboard/live")
    await page.wait_for_selector("#live-plot .main-svg")
    await page.wait_for_selector("#live-plot .xtick text")
    async with page.expect_navigation():
        await page.click("form.who button")
    assert "/dashboard/login" in page.url
    await page.goto(f"{base}/dashboard/programs")
    assert "/dashboard/login" in page.url  # the session is gone


async def test_a_wrong_token_says_so_on_the_login_page(
    dashboard: DashboardServer, page: Any
) -> None:
    await page.goto(f"{dashboard.base_url}/dashboard/login")
    await page.fill("#token", "od_not-a-token")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.click("form button[type=submit]")
    response = await posted.value
    assert response.status == 401
    await page.wait_for_selector("p.error")
    await _shot(page, "login-wrong-token")
    assert "unknown or revoked token" in await page.inner_text("p.error")
    assert "cross-site" not in await page.content()


async def test_authoring_a_group_control_previews_its_reach_and_cancelling_it_is_audited(
    dashboard: DashboardServer, page: Any
) -> None:
    base = dashboard.base_url
    await _log_in(page, dashboard, dashboard.utility_token)
    await page.goto(f"{base}/dashboard/author")
    await page.select_option("select[name=target_kind]", "group")
    await page.select_option("#target_group", str(dashboard.seeded.group_id))
    await page.fill("input[name=start]", "+10m")
    await page.fill("input[name=duration_min]", "30")
    await page.fill("input[name='mode.op_mod_exp_lim_w']", "2000")
    await page.select_option("select[name='mode.op_mod_connect']", "true")
    await page.fill("input[name=description]", "browser cap 2 kW")
    await _shot(page, "author-form")
    async with page.expect_navigation():
        await page.click("button.primary")
    await _shot(page, "author-preview")
    # The preview names both devices of the group and what the control asks for.
    assert "2 devices" in await page.inner_text("#reach")
    text = await page.inner_text("main")
    assert UTILITY_DEVICE in text and AGGREGATOR_DEVICE in text
    assert "export ≤ 2 kW" in text and "connect" in text
    assert _control(dashboard, "browser cap 2 kW") is None  # nothing sent before confirming
    async with page.expect_navigation():
        await page.click("button.primary")
    assert "/dashboard/programs" in page.url
    assert "createGroupControl" in await page.inner_text("p.ok")
    made = _control(dashboard, "browser cap 2 kW")
    assert made is not None and made.id is not None
    assert made.op_mod_exp_lim_w == 2000 and made.op_mod_connect is True
    assert made.start_time == dashboard.clock.now + 600 and made.duration_s == 1800
    # Cancel it from its row on the programs page.
    await page.click(f"a[href$='/controls/{made.id}/cancel']")
    await page.wait_for_selector("button.danger")
    await _shot(page, "cancel-confirm")
    assert "2 devices" in await page.inner_text("#reach")
    async with page.expect_navigation():
        await page.click("button.danger")
    cancelled = _control(dashboard, "browser cap 2 kW")
    assert cancelled is not None and cancelled.cancelled_time == dashboard.clock.now
    # Both changes are in the audit log under the token's name, as an API call would be.
    records = [(r.action, r.actor, r.status_code) for r in _audit(dashboard)]
    assert records[-2:] == [
        ("createGroupControl", "utility desk", 201),
        ("cancelControl", "utility desk", 200),
    ]
    await page.goto(f"{base}/dashboard/audit")
    await _shot(page, "audit-after")
    rows = await page.inner_text("table")
    assert "createGroupControl" in rows and "cancelControl" in rows


async def test_a_browser_downloads_the_telemetry_export(
    dashboard: DashboardServer, page: Any, tmp_path: Path
) -> None:
    await _log_in(page, dashboard, dashboard.utility_token)
    await page.goto(f"{dashboard.base_url}/dashboard/devices/{UTILITY_DEVICE}")
    async with page.expect_download() as started:
        await page.click("text=telemetry CSV")
    download = await started.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    rows = list(csv.DictReader(saved.read_text(encoding="utf-8").splitlines()))
    assert download.suggested_filename.startswith(f"telemetry_{UTILITY_DEVICE}")
    power = [float(r["value"]) for r in rows if r["quantity"] == "power_w"]
    assert power == SITE_POWER_W  # every seeded site-power reading, in order


async def test_an_aggregator_sees_and_authors_only_its_own_devices(
    dashboard: DashboardServer, page: Any
) -> None:
    base = dashboard.base_url
    await _log_in(page, dashboard, dashboard.aggregator_token)
    content = await page.content()
    await _shot(page, "fleet-aggregator")
    assert AGGREGATOR_DEVICE[:12] in content and UTILITY_DEVICE[:12] not in content
    refused = await page.goto(f"{base}/dashboard/devices/{UTILITY_DEVICE}")
    assert refused.status == 404
    await page.goto(f"{base}/dashboard/author")
    kinds = await page.eval_on_selector_all(
        "select[name=target_kind] option", "options => options.map(o => o.value)"
    )
    assert kinds == ["device"]  # groups and programs are the utility's
    devices = await page.eval_on_selector_all(
        "#target_device option", "options => options.map(o => o.value).filter(Boolean)"
    )
    assert devices == [AGGREGATOR_DEVICE]
    await page.select_option("#target_device", AGGREGATOR_DEVICE)
    await page.fill("input[name='mode.op_mod_gen_lim_w']", "3000")
    await page.fill("input[name=description]", "aggregator gen cap")
    async with page.expect_navigation():
        await page.click("button.primary")
    assert "1 device" in await page.inner_text("#reach")
    async with page.expect_navigation():
        await page.click("button.primary")
    assert f"/dashboard/devices/{AGGREGATOR_DEVICE}" in page.url
    made = _control(dashboard, "aggregator gen cap")
    assert made is not None and made.op_mod_gen_lim_w == 3000
    await page.goto(f"{base}/dashboard/manage")
    await _shot(page, "manage-aggregator")
    assert await page.locator("form[action$='/manage/createGroup']").count() == 0
    records = [(r.action, r.actor) for r in _audit(dashboard)]
    assert records[-1] == ("createDeviceControl", "aggregator desk")


async def test_device_charts_have_time_axes_fitted_to_the_data_and_the_limit_drawn(
    dashboard: DashboardServer, page: Any
) -> None:
    await _log_in(page, dashboard, dashboard.utility_token)
    await page.goto(f"{dashboard.base_url}/dashboard/devices/{UTILITY_DEVICE}")
    await page.wait_for_selector("#plots .plot .main-svg")
    await _shot(page, "device-plots")
    site = page.locator("#plots .plot").first
    # The seed's 60 readings span 59 min of the 24 h window: the axis shows that hour.
    ticks = await site.locator(".xtick text").all_text_contents()
    assert ticks and all(":" in t for t in ticks), ticks  # times of day, not dates
    x_range = await site.evaluate("el => el.layout.xaxis.range")
    assert x_range[0].startswith("2027-01-15 07:0") or x_range[0].startswith("2027-01-15T07:0")
    legend = await site.locator(".legendtext").all_text_contents()
    assert "site" in legend and any(t.startswith("export limit") for t in legend), legend
    limit = await site.evaluate(
        "el => el.data.filter(t => t.name.startsWith('export limit')).map(t => t.y)"
    )
    assert limit == [[-1500, -1500]]  # the active 1.5 kW export cap, below zero (export)
    # 2030.5 codes read as words beside their raw value.
    resources = await page.inner_text(".resources")
    assert "connected, available, operating" in resources  # storConnectStatus 07
    assert "operational" in resources  # operationalModeStatus 2
    assert "charge, discharge, connect, energize, fixed W, max W limit, target W" in resources
