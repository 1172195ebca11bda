"""The dashboard quart app and its mount beside the admin API on the admin listener.

`mount_dashboard(admin_app, store)` returns one ASGI app: requests under ``/dashboard``
go to the dashboard, everything else to the admin API unchanged (its OpenAPI document
and routes stay its own). Lifespan events reach both apps.

Authentication uses the admin API's tokens: JSON and CSV endpoints accept
``Authorization: Bearer <token>``; people log in once with a token and get a signed
session cookie (`openderms.server.dashboard.session`; HttpOnly, SameSite=Strict, Secure
over TLS, path ``/dashboard``). An aggregator token sees only its aggregator's devices.
Every GET is read-only. Every POST refuses cross-site requests (``Sec-Fetch-Site`` and
``Origin`` must name this origin; the pages send ``Referrer-Policy: same-origin`` so browsers
send their true Origin), and every POST of a logged-in page carries the session's CSRF token.
The forms that change something (controls, default controls, cancellations, devices, groups,
programs, rates) run the admin API's own operations through its `AdminDispatcher`: same
rules, same audit records.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import importlib.metadata
import importlib.resources
import io
import json
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from hypercorn.middleware.dispatcher import AsyncioDispatcherMiddleware
from quart import Quart, Response, redirect, render_template, request, url_for

from openderms.server.admin.app import AdminDispatcher, AdminOutcome, admin_dispatcher
from openderms.server.admin.errors import AdminError
from openderms.server.admin.openapi import build_openapi
from openderms.server.admin.routes import ROUTES
from openderms.server.admin.tokens import Principal, authenticate, hash_token
from openderms.server.clock import utc_now_s
from openderms.server.config import ServerSettings
from openderms.server.dashboard import authoring, plots, views
from openderms.server.dashboard.charts import ChartSeries, line_chart
from openderms.server.dashboard.errors import (
    DashboardBadRequestError,
    DashboardError,
    DashboardNotFoundError,
    DashboardUnauthorizedError,
)
from openderms.server.dashboard.exports import PARQUET_TYPE, parquet_bytes
from openderms.server.dashboard.openapi import dashboard_openapi
from openderms.server.dashboard.params import (
    int_param,
    lfdi_param,
    lfdi_prefix_param,
    time_range,
)
from openderms.server.dashboard.resources import field_words
from openderms.server.dashboard.session import (
    COOKIE_NAME,
    CSRF_FIELD,
    SESSION_LIFETIME_S,
    csrf_matches,
    csrf_token,
    parse_cookie,
    sign_session,
)
from openderms.server.dashboard.times import civil
from openderms.server.errors import ServerError
from openderms.server.store.admin import AdminRole
from openderms.server.store.crud.dashboard import active_token_by_id
from openderms.server.store.db import Store
from openderms.server.url_ids import use_row_ids

__all__ = [
    "DASHBOARD_PREFIX",
    "SECRET_ENV",
    "TRUNCATED_HEADER",
    "create_dashboard_app",
    "mount_dashboard",
    "spreadsheet_safe",
]

logger = logging.getLogger(__name__)

DASHBOARD_PREFIX = "/dashboard"
#: Environment variable with the cookie-signing secret shared by every server process.
SECRET_ENV = "OPENDERMS_DASHBOARD_SECRET"  # noqa: S105  (a variable name, not a secret)
#: Live view refresh period [s].
LIVE_REFRESH_S = 5
MAX_PAGE = 500
#: DER resource fields that are 2030.5 TimeType (shown as UTC times).
TIME_FIELDS = frozenset({"readingTime", "updatedTime"})
MAX_EXPORT_ROWS = 100_000
_SECURITY_HEADERS = {
    # Everything is served from here: no CDN, no inline script, no framing.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: with it Chromium sends "Origin: null" on our own form posts.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


#: Pages that draw with plotly.js: it adds a stylesheet of its own at run time, which needs
#: inline styles; scripts stay 'self' only (all page text is escaped by the templates).
_PLOT_PAGES = frozenset({"device", "energy", "live", "api_docs"})
#: The files of the swagger-ui-py package the API docs page loads.
_SWAGGER_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}
_PLOT_PAGE_CSP = _SECURITY_HEADERS["Content-Security-Policy"].replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


def _secret_from_environment() -> bytes:
    configured = os.environ.get(SECRET_ENV)
    if configured:
        return configured.encode("utf-8")
    logger.info(
        "no %s set: dashboard sessions last until this process stops and are not shared "
        "with other server processes",
        SECRET_ENV,
    )
    return secrets.token_bytes(32)


def _json(status: int, payload: Any) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":")), status=status, content_type="application/json"
    )


#: Set on a CSV export that stopped at its row limit (ask again from the last time).
TRUNCATED_HEADER = "X-Openderms-Truncated"


#: First characters that make a spreadsheet read a cell as a formula (OWASP: CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs as a formula: such text gets a leading quote."""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value
    return value


def _csv(
    name: str, header: tuple[str, ...], rows: list[tuple[Any, ...]], truncated: bool
) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(spreadsheet_safe(v) for v in row)
    return Response(
        buffer.getvalue(),
        status=200,
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            TRUNCATED_HEADER: "true" if truncated else "false",
        },
    )


def _safe_next(target: str | None) -> str | None:
    """A post-login target only within the dashboard (no open redirect)."""
    root = request.root_path or ""
    if (
        target
        and target.startswith(root + "/")
        and not target.startswith("//")
        and "\\" not in target
        and "://" not in target
    ):
        return target
    return None


def create_dashboard_app(
    store: Store,
    *,
    dispatcher: AdminDispatcher,
    clock: Callable[[], int] = utc_now_s,
    secret: bytes | None = None,
    settings: ServerSettings | None = None,
) -> Quart:
    """Build the dashboard app (serve it under `DASHBOARD_PREFIX` via `mount_dashboard`).

    Parameters
    ----------
    store
        The head-end database (at schema head).
    dispatcher
        The admin API's operations (`admin_dispatcher` of its app): the forms run them.
    clock
        Current time [s since the epoch]; the dashboard's only clock read.
    secret
        Key of the session cookies; default ``$OPENDERMS_DASHBOARD_SECRET`` or a random
        per-process key (then sessions do not survive a restart).
    settings
        The head-end settings (default postRate for staleness); defaults when None.
    """
    app = Quart("openderms.server.dashboard", static_url_path="/static")
    use_row_ids(app)
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024
    key = secret if secret is not None else _secret_from_environment()
    server_settings = settings or ServerSettings()
    openapi_doc = dashboard_openapi()
    admin_openapi_doc = build_openapi(ROUTES)

    app.jinja_env.filters["iso"] = views.iso
    app.jinja_env.filters["short"] = _short_time
    app.jinja_env.filters["power"] = _fmt_power
    app.jinja_env.filters["ago"] = _ago
    app.jinja_env.globals["live_refresh_s"] = LIVE_REFRESH_S
    app.jinja_env.globals["time_fields"] = TIME_FIELDS
    app.jinja_env.globals["field_words"] = field_words
    app.jinja_env.globals["plotly_version"] = plotly_version()

    async def principal() -> Principal:
        header = request.headers.get("Authorization")
        if header:
            try:
                return await store.run(authenticate, header)
            except AdminError as exc:
                raise DashboardUnauthorizedError(exc.message) from None
        claim = parse_cookie(request.cookies.get(COOKIE_NAME))
        if claim is None:
            raise DashboardUnauthorizedError("log in with an admin token first")
        row = await store.run(active_token_by_id, claim.token_id)
        if row is None or row.id is None or not claim.verify(key, row.token_sha256, now=clock()):
            raise DashboardUnauthorizedError("the session has expired or its token was revoked")
        return Principal(
            token_id=row.id,
            name=row.name,
            role=AdminRole(row.role),
            aggregator_id=row.aggregator_id,
        )

    def scope_of(who: Principal) -> int | None:
        # An aggregator token without an aggregator cannot exist (insert_admin_token), but
        # never let a missing id widen the scope to every device.
        if who.is_utility:
            return None
        return who.aggregator_id if who.aggregator_id is not None else -1

    def refuse_cross_site() -> None:
        """Refuse a POST that a browser says came from another site (CSRF)."""
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            raise DashboardBadRequestError("cross-site form posts are refused")
        origin = request.headers.get("Origin")
        # "null" is what sandboxed frames and some redirects send: not our page either.
        if origin and origin.split("://", 1)[-1] != request.headers.get("Host", ""):
            raise DashboardBadRequestError("cross-site form posts are refused")

    async def form_of_session() -> Any:
        """The form of a logged-in POST, after the cross-site and CSRF token checks."""
        refuse_cross_site()
        form = await request.form
        if not csrf_matches(key, request.cookies.get(COOKIE_NAME), form.get(CSRF_FIELD)):
            raise DashboardBadRequestError(
                "this form is stale or not from this dashboard: reload the page and try again"
            )
        return form

    @app.context_processor
    async def csrf_of_session() -> dict[str, Any]:
        cookie = request.cookies.get(COOKIE_NAME)
        done = request.args.get("done")
        return {
            "csrf": csrf_token(key, cookie) if cookie and cookie.isascii() else "",
            # Only an operation's name is echoed back, never free text from the URL.
            "done": done if done in authoring.AUTHORED_OPERATIONS else None,
        }

    def wants_json() -> bool:
        path = request.path
        return path.startswith(("/api/", "/export/")) or "/api/" in path or "/export/" in path

    @app.after_request
    async def security_headers(response: Response) -> Response:
        if request.endpoint in _PLOT_PAGES:
            response.headers.setdefault("Content-Security-Policy", _PLOT_PAGE_CSP)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.errorhandler(DashboardError)
    async def dashboard_error(exc: DashboardError) -> Any:
        if wants_json():
            return _json(exc.http_status, {"error": exc.kind, "message": exc.message})
        if isinstance(exc, DashboardUnauthorizedError):
            target = request.full_path.rstrip("?")
            root = request.root_path or ""
            return redirect(url_for("login", next=root + target), 303)
        html = await render_template("error.html", status=exc.http_status, message=exc.message)
        return Response(html, status=exc.http_status, content_type="text/html; charset=utf-8")

    @app.errorhandler(ServerError)
    async def server_error(exc: ServerError) -> Any:
        return await dashboard_error(_as_dashboard_error(exc))

    @app.errorhandler(404)
    async def not_found(_exc: Exception) -> Any:
        return await dashboard_error(DashboardNotFoundError("no such dashboard page"))

    @app.errorhandler(405)
    async def wrong_method(_exc: Exception) -> Any:
        error = DashboardBadRequestError("method not allowed here")
        error.http_status = 405
        return await dashboard_error(error)

    # --- login / logout ---------------------------------------------------------------

    @app.get("/login")
    async def login() -> Any:
        return await render_template(
            "login.html", next=_safe_next(request.args.get("next")), error=None
        )

    @app.post("/login")
    async def login_post() -> Any:
        refuse_cross_site()
        form = await request.form
        token = (form.get("token") or "").strip()
        target = _safe_next(form.get("next")) or url_for("overview")
        try:
            who = await store.run(authenticate, f"Bearer {token}")
        except AdminError:
            html = await render_template(
                "login.html", next=target, error="unknown or revoked token"
            )
            return Response(html, status=401, content_type="text/html; charset=utf-8")
        response = redirect(target, 303)
        response.set_cookie(
            COOKIE_NAME,
            sign_session(key, token_id=who.token_id, token_sha256=hash_token(token), now=clock()),
            max_age=SESSION_LIFETIME_S,
            path=(request.root_path or "") + "/",
            secure=request.scheme == "https",
            httponly=True,
            samesite="Strict",
        )
        return response

    @app.post("/logout")
    async def logout() -> Any:
        await form_of_session()
        response = redirect(url_for("login"), 303)
        response.delete_cookie(
            COOKIE_NAME, path=(request.root_path or "") + "/", httponly=True, samesite="Strict"
        )
        return response

    @app.get("/")
    async def overview() -> Any:
        who = await principal()
        data = await _fleet(who)
        return await render_template("overview.html", who=who, data=data, page="overview")

    async def _fleet(who: Principal) -> dict[str, Any]:
        args = request.args
        start = int_param(args, "start", 0, 0, 10**9)
        limit = int_param(args, "limit", 100, 1, MAX_PAGE)
        group = int_param(args, "group", 0, 0, 2**31 - 1)
        return await store.run(
            views.fleet_view,
            aggregator_id=scope_of(who),
            now=clock(),
            start=start,
            limit=limit,
            settings=server_settings,
            lfdi_prefix=lfdi_prefix_param(args.get("q", "")),
            group_id=group or None,
        )

    @app.get("/live")
    async def live() -> Any:
        who = await principal()
        data = await _fleet(who)
        return await render_template("live.html", who=who, data=data, page="live")

    @app.get("/devices/<lfdi>")
    async def device(lfdi: str) -> Any:
        who = await principal()
        data = await _device(who, lfdi)
        return await render_template(
            "device.html",
            who=who,
            data=data,
            charts=_device_charts(data),
            figures=plots.device_figures(data),
            page="device",
        )

    async def _device(who: Principal, lfdi: str) -> dict[str, Any]:
        now = clock()
        rng = time_range(request.args, now=now)
        return await store.run(
            views.device_view,
            aggregator_id=scope_of(who),
            lfdi=lfdi_param(lfdi),
            now=now,
            rng=rng,
            history_limit=int_param(request.args, "history", 20, 1, 200),
        )

    @app.get("/programs")
    async def programs() -> Any:
        who = await principal()
        data = await _programs(who)
        return await render_template("programs.html", who=who, data=data, page="programs")

    async def _programs(who: Principal) -> dict[str, Any]:
        limit = int_param(request.args, "controls", 50, 1, MAX_PAGE)
        return await store.run(
            views.programs_view, aggregator_id=scope_of(who), now=clock(), controls_limit=limit
        )

    @app.get("/energy")
    async def energy() -> Any:
        who = await principal()
        data = await _energy(who)
        chart = line_chart(
            [
                ChartSeries(
                    "fleet site power", [(p["time"], p["power_w"]) for p in data["fleet_power"]]
                )
            ],
            since=data["since"],
            until=data["until"],
            unit="W",
            title="Fleet site power (+ import, − export)",
            width=960,
            height=260,
        )
        figure = plots.time_figure(
            "Fleet site power (+ import, − export)",
            "W",
            [("fleet site power", [(p["time"], p["power_w"]) for p in data["fleet_power"]])],
            since=data["since"],
            until=data["until"],
        )
        return await render_template(
            "energy.html", who=who, data=data, chart=chart, figures=[figure], page="energy"
        )

    async def _energy(who: Principal) -> dict[str, Any]:
        now = clock()
        rng = time_range(request.args, now=now)
        buckets = int_param(request.args, "buckets", 96, 1, 1000)
        return await store.run(
            views.energy_view, aggregator_id=scope_of(who), now=now, rng=rng, buckets=buckets
        )

    # --- authoring: the admin API's operations behind forms ------------------------------

    async def run_change(who: Principal, change: authoring.AuthoredChange) -> AdminOutcome:
        return await dispatcher.execute(
            change.route,
            who,
            params=change.params,
            query={},
            data=change.data(),
            path=(request.root_path or "") + request.path,
        )

    def refused(outcome: AdminOutcome) -> DashboardError:
        error = DashboardError(str(outcome.payload.get("message", "refused")))
        error.http_status = outcome.status
        return error

    async def choices(who: Principal) -> dict[str, Any]:
        return await store.run(authoring.form_choices, aggregator_id=scope_of(who))

    @app.get("/author")
    async def author() -> Any:
        who = await principal()
        return await render_template(
            "author.html",
            who=who,
            page="author",
            choices=await choices(who),
            form=request.args,
            modes=authoring.MODE_FIELDS,
            error=None,
        )

    @app.post("/author/preview")
    async def author_preview() -> Any:
        who = await principal()
        form = await form_of_session()
        try:
            change = authoring.control_change(form, now=clock())
            preview = await store.run(
                authoring.control_preview, change, aggregator_id=scope_of(who)
            )
        except (DashboardBadRequestError, ServerError) as exc:
            html = await render_template(
                "author.html",
                who=who,
                page="author",
                choices=await choices(who),
                form=form,
                modes=authoring.MODE_FIELDS,
                error=str(exc),
            )
            status = exc.http_status
            return Response(html, status=status, content_type="text/html; charset=utf-8")
        return await render_template(
            "author_confirm.html",
            who=who,
            page="author",
            change=change,
            preview=preview,
            summary=views.modes_summary(change.body["modes"]),
            body_json=change.data().decode("utf-8"),
            params_json=json.dumps(change.params),
        )

    @app.post("/author/confirm")
    async def author_confirm() -> Any:
        who = await principal()
        form = await form_of_session()
        try:
            params = json.loads(form.get("params") or "{}")
            body = json.loads(form.get("body") or "{}")
        except json.JSONDecodeError:
            raise DashboardBadRequestError("the confirmation form is damaged") from None
        if not isinstance(params, dict) or not isinstance(body, dict):
            raise DashboardBadRequestError("the confirmation form is damaged")
        change = authoring.AuthoredChange(form.get("operation", ""), params, body)
        outcome = await run_change(who, change)
        if not outcome.ok:
            raise refused(outcome)
        return redirect(_after_change(change, outcome), 303)

    def _after_change(change: authoring.AuthoredChange, outcome: AdminOutcome) -> str:
        if "lfdi" in change.params:
            return url_for("device", lfdi=change.params["lfdi"], done=change.operation_id)
        return url_for("programs", done=change.operation_id)

    @app.get("/controls/<int:control_id>/cancel")
    async def cancel_form(control_id: int) -> Any:
        who = await principal()
        preview = await store.run(
            authoring.cancel_preview, control_id, aggregator_id=scope_of(who), now=clock()
        )
        return await render_template(
            "cancel_confirm.html", who=who, page="programs", preview=preview
        )

    @app.post("/controls/<int:control_id>/cancel")
    async def cancel_post(control_id: int) -> Any:
        who = await principal()
        form = await form_of_session()
        change = authoring.cancel_change(control_id, form)
        outcome = await run_change(who, change)
        if not outcome.ok:
            raise refused(outcome)
        target = _safe_next(form.get("next")) or url_for("programs")
        sep = "&" if "?" in target else "?"
        return redirect(f"{target}{sep}done=cancelControl", 303)

    @app.get("/manage")
    async def manage() -> Any:
        who = await principal()
        return await render_template(
            "manage.html",
            who=who,
            page="manage",
            choices=await choices(who),
            error=None,
        )

    @app.post("/manage/<operation_id>")
    async def manage_post(operation_id: str) -> Any:
        who = await principal()
        form = await form_of_session()
        try:
            change = authoring.manage_change(operation_id, form)
            outcome = await run_change(who, change)
            if not outcome.ok:
                raise refused(outcome)
        except DashboardError as exc:
            html = await render_template(
                "manage.html",
                who=who,
                page="manage",
                choices=await choices(who),
                error=f"{operation_id}: {exc.message}",
            )
            return Response(html, status=exc.http_status, content_type="text/html; charset=utf-8")
        return redirect(url_for("manage", done=operation_id), 303)

    @app.get("/audit")
    async def audit() -> Any:
        who = await principal()
        start = int_param(request.args, "start", 0, 0, 10**9)
        outcome = await dispatcher.execute(
            _AUDIT_ROUTE,
            who,
            params={},
            query={"start": str(start), "limit": "100"},
            data=None,
            path=(request.root_path or "") + request.path,
        )
        if not outcome.ok:
            raise refused(outcome)
        return await render_template(
            "audit.html", who=who, page="audit", records=outcome.payload["records"], start=start
        )

    # --- JSON API ---------------------------------------------------------------------

    @app.get("/api/fleet")
    async def api_fleet() -> Response:
        return _json(200, await _fleet(await principal()))

    @app.get("/api/devices/<lfdi>")
    async def api_device(lfdi: str) -> Response:
        return _json(200, await _device(await principal(), lfdi))

    @app.get("/api/devices/<lfdi>/figures")
    async def api_device_figures(lfdi: str) -> Response:
        """The device page's plotly figures (its auto-refresh fetches them)."""
        data = await _device(await principal(), lfdi)
        return _json(200, {"now": data["now"], "figures": plots.device_figures(data)})

    @app.get("/reports/controls/<int:control_id>")
    async def control_report(control_id: int) -> Any:
        who = await principal()
        data = await store.run(
            views.control_report, aggregator_id=scope_of(who), control_id=control_id, now=clock()
        )
        return await render_template("control_report.html", who=who, data=data, page="programs")

    @app.get("/api/reports/controls/<int:control_id>")
    async def api_control_report(control_id: int) -> Response:
        who = await principal()
        data = await store.run(
            views.control_report, aggregator_id=scope_of(who), control_id=control_id, now=clock()
        )
        return _json(200, data)

    @app.get("/export/compliance/<int:control_id>.csv")
    async def export_compliance(control_id: int) -> Response:
        who = await principal()
        data = await store.run(
            views.control_report, aggregator_id=scope_of(who), control_id=control_id, now=clock()
        )
        name = f"compliance_{data['control']['mrid']}.csv"
        return _csv(name, views.COMPLIANCE_HEADER, views.compliance_rows(data), False)

    @app.get("/api-docs")
    async def api_docs() -> Any:
        """Swagger UI of the admin API (from the swagger-ui-py package's static files)."""
        who = await principal()
        return await render_template("api_docs.html", who=who, page="api-docs")

    @app.get("/api/admin-openapi.json")
    async def api_admin_openapi() -> Response:
        """The admin API's OpenAPI document (also at ``/openapi.json`` with a bearer token)."""
        await principal()
        return _json(200, admin_openapi_doc)

    @app.get("/vendor/swagger-ui/<name>")
    async def swagger_ui(name: str) -> Response:
        if name not in _SWAGGER_FILES:
            raise DashboardNotFoundError("no such file")
        path = importlib.resources.files("swagger_ui") / "static" / name
        return Response(
            await asyncio.to_thread(path.read_bytes),
            content_type=_SWAGGER_FILES[name],
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/vendor/plotly.min.js")
    async def plotly_js() -> Response:
        """plotly.js as the installed plotly package bundles it (cached: keyed by version)."""
        return Response(
            _plotly_bundle(),
            content_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/api/programs")
    async def api_programs() -> Response:
        return _json(200, await _programs(await principal()))

    @app.get("/api/energy")
    async def api_energy() -> Response:
        return _json(200, await _energy(await principal()))

    @app.get("/api/openapi.json")
    async def api_openapi() -> Response:
        await principal()
        return _json(200, openapi_doc)

    # --- CSV exports ------------------------------------------------------------------

    async def _export(
        fn: Callable[..., list[tuple[Any, ...]]],
    ) -> tuple[list[tuple[Any, ...]], str, dict[str, str]]:
        """Rows of an export, its file name stem and what it covers (range, limit)."""
        who = await principal()
        now = clock()
        rng = time_range(request.args, now=now)
        lfdi_text = request.args.get("lfdi")
        lfdi = lfdi_param(lfdi_text) if lfdi_text else None
        limit = int_param(request.args, "limit", 10_000, 1, MAX_EXPORT_ROWS)
        # One row more than asked tells whether the range holds more than the limit.
        rows = await store.run(
            fn, aggregator_id=scope_of(who), lfdi=lfdi, rng=rng, limit=limit + 1
        )
        suffix = f"{lfdi or 'fleet'}_{views.iso(rng.since)}_{views.iso(rng.until)}"
        covers = {
            "since": str(rng.since),
            "until": str(rng.until),
            "row_limit": str(limit),
            "truncated": "true" if len(rows) > limit else "false",
        }
        return rows[:limit], suffix.replace(":", ""), covers

    def _covered(response: Response, covers: dict[str, str]) -> Response:
        response.headers[TRUNCATED_HEADER] = covers["truncated"]
        response.headers["X-Openderms-Since"] = covers["since"]
        response.headers["X-Openderms-Until"] = covers["until"]
        response.headers["X-Openderms-Row-Limit"] = covers["row_limit"]
        return response

    async def _parquet(name: str, header: tuple[str, ...], rows: Any, covers: Any) -> Response:
        data = await asyncio.to_thread(parquet_bytes, header, rows, covers)
        response = Response(
            data,
            content_type=PARQUET_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
        return _covered(response, covers)

    @app.get("/export/telemetry.csv")
    async def export_telemetry() -> Response:
        rows, suffix, covers = await _export(views.telemetry_rows)
        return _covered(
            _csv(f"telemetry_{suffix}.csv", views.TELEMETRY_HEADER, rows, False), covers
        )

    @app.get("/export/responses.csv")
    async def export_responses() -> Response:
        rows, suffix, covers = await _export(views.response_rows)
        return _covered(
            _csv(f"responses_{suffix}.csv", views.RESPONSE_HEADER, rows, False), covers
        )

    @app.get("/export/telemetry.parquet")
    async def export_telemetry_parquet() -> Response:
        rows, suffix, covers = await _export(views.telemetry_rows)
        return await _parquet(f"telemetry_{suffix}.parquet", views.TELEMETRY_HEADER, rows, covers)

    @app.get("/export/responses.parquet")
    async def export_responses_parquet() -> Response:
        rows, suffix, covers = await _export(views.response_rows)
        return await _parquet(f"responses_{suffix}.parquet", views.RESPONSE_HEADER, rows, covers)

    @app.get("/export/compliance/<int:control_id>.parquet")
    async def export_compliance_parquet(control_id: int) -> Response:
        who = await principal()
        data = await store.run(
            views.control_report, aggregator_id=scope_of(who), control_id=control_id, now=clock()
        )
        covers = {
            "since": str(data["since"]),
            "until": str(data["until"]),
            "row_limit": "none",
            "truncated": "false",
        }
        name = f"compliance_{data['control']['mrid']}.parquet"
        return await _parquet(name, views.COMPLIANCE_HEADER, views.compliance_rows(data), covers)

    return app


@functools.cache
def _plotly_bundle() -> bytes:
    return (importlib.resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()


def plotly_version() -> str:
    """The installed plotly package's version (names the bundle URL, so caches renew)."""
    return importlib.metadata.version("plotly")


_AUDIT_ROUTE = next(route for route in ROUTES if route.operation_id == "listAudit")


def _as_dashboard_error(exc: ServerError) -> DashboardError:
    error = DashboardError(str(exc))
    error.http_status = exc.http_status
    return error


def _fmt_power(value_w: float | None) -> str:
    """``1234.5`` -> ``1.23 kW``; None -> an en dash."""
    if value_w is None:
        return "–"
    if abs(value_w) >= 1000:
        return f"{value_w / 1000:.2f} kW"
    return f"{value_w:.0f} W"


def _short_time(time_s: int | None) -> str:
    """``01-15 08:50Z``: a time within days of now, compactly (UTC)."""
    if time_s is None:
        return "–"
    _, month, day, hour, minute, _ = civil(time_s)
    return f"{month:02d}-{day:02d} {hour:02d}:{minute:02d}Z"


def _ago(time_s: int | None, now: int) -> str:
    """How long before ``now`` [s] something happened, for people."""
    if time_s is None:
        return "never"
    delta = now - time_s
    if delta < 0:
        return "in the future"
    for unit_s, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if delta >= unit_s:
            return f"{delta // unit_s} {unit} ago"
    return f"{delta} s ago"


_CHARTS = (
    ("Site power (+ import, − export)", "power_w", True, "W"),
    ("DER power (+ generation/discharge)", "power_w", False, "W"),
    ("State of charge", "soc_pct", None, "%"),
    ("Voltage", "voltage_v", None, "V"),
)


def _device_charts(data: dict[str, Any]) -> list[str]:
    """SVG charts of a device view's telemetry: site power, DER power, SoC, voltage."""
    out = []
    for title, quantity, site, unit in _CHARTS:
        lines = [
            ChartSeries("site" if s["site"] else s["mirror"], [(t, v) for t, v in s["points"]])
            for s in data["telemetry"]
            if s["quantity"] == quantity and (site is None or s["site"] is site)
        ]
        if lines:
            out.append(
                line_chart(lines, since=data["since"], until=data["until"], unit=unit, title=title)
            )
    return out


def mount_dashboard(
    admin_app: Any,
    store: Store,
    *,
    clock: Callable[[], int] = utc_now_s,
    secret: bytes | None = None,
    settings: ServerSettings | None = None,
) -> Callable[[Any, Any, Any], Awaitable[None]]:
    """One ASGI app: ``/dashboard...`` to a new dashboard app, the rest to ``admin_app``.

    Parameters
    ----------
    admin_app
        The admin API app (`openderms.server.admin.app.create_admin_app`); the dashboard's
        forms run its operations.
    store, clock, secret, settings
        As `create_dashboard_app`.
    """
    dashboard = create_dashboard_app(
        store,
        dispatcher=admin_dispatcher(admin_app),
        clock=clock,
        secret=secret,
        settings=settings,
    )
    lifespan = AsyncioDispatcherMiddleware({DASHBOARD_PREFIX: dashboard, "": admin_app})

    async def app(scope: Any, receive: Any, send: Any) -> None:  # ASGI: untyped dicts
        if scope["type"] == "lifespan":
            await lifespan(scope, receive, send)
            return
        path = scope.get("path", "")
        if path == DASHBOARD_PREFIX or path.startswith(DASHBOARD_PREFIX + "/"):
            inner: Any = dict(scope)
            inner["root_path"] = scope.get("root_path", "") + DASHBOARD_PREFIX
            if path == DASHBOARD_PREFIX:
                inner["path"] = DASHBOARD_PREFIX + "/"
            await dashboard(inner, receive, send)
            return
        await admin_app(scope, receive, send)

    return app
