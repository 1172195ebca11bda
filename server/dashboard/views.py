"""What each dashboard page shows, as JSON-able dicts (one function per view).

Each view is a synchronous ``(session, ...)`` function run through ``store.run`` with the
caller's ``aggregator_id`` (None = utility) and ``now`` passed in; it reads through
`openderms.server.store.crud.dashboard` and the pure helpers of this package. The
HTML pages and the JSON API (``/dashboard/api/...``) serve the same dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from openderms.schemas.sep2.enums import ResponseStatus
from openderms.server.config import ServerSettings
from openderms.server.control_modes import describe_modes, mode_values
from openderms.server.dashboard.compliance import site_compliance
from openderms.server.dashboard.errors import DashboardNotFoundError
from openderms.server.dashboard.params import TimeRange
from openderms.server.dashboard.resources import RESOURCE_CLASSES, field_words, flatten_resource
from openderms.server.dashboard.telemetry import (
    QUANTITY_UNITS,
    bucket_sums,
    integrate_energy_wh,
    is_site_mirror,
    quantity_of,
)
from openderms.server.dashboard.times import iso
from openderms.server.mappers.event_status import ControlFacts, EventStatusCode, event_status_at
from openderms.server.services import admin_fleet as fleet
from openderms.server.services.rates import server_post_rate_s
from openderms.server.store.crud import dashboard as q
from openderms.server.store.crud.fsa import select_end_device_ids_seeing_program
from openderms.server.store.models import (
    ControlModeColumns,
    DefaultDERControlRow,
    DERControlRow,
    EndDeviceRow,
)

__all__ = [
    "COMPLIANCE_HEADER",
    "compliance_rows",
    "control_json",
    "control_report",
    "device_view",
    "energy_view",
    "fleet_staleness",
    "fleet_view",
    "is_stale",
    "iso",
    "programs_view",
    "response_rows",
    "telemetry_rows",
]

#: Silent for this many postRates = stale (the gateway is likely offline).
STALE_POST_PERIODS = 3
#: A reading counts for at most this long when integrating energy or summing power [s].
MAX_HOLD_S = 900
#: Points per chart line at most (longer windows are averaged in the database).
MAX_CHART_POINTS = 600
#: Energy is integrated over at most this many means per device and window.
ENERGY_RESOLUTION = 288
_REVERSE = 19  # FlowDirectionType: reverse (received from the customer)


def _modes(row: ControlModeColumns) -> dict[str, Any]:
    return mode_values(row)


def modes_summary(modes: dict[str, Any]) -> str:
    """What a control asks for, in words: ``export ≤ 1.5 kW, disconnect``."""
    return describe_modes(modes)


def _status(control: DERControlRow, now: int) -> dict[str, Any]:
    at = event_status_at(
        ControlFacts(
            creation_time=control.creation_time,
            start_time=control.start_time,
            duration_s=control.duration_s,
            cancelled_time=control.cancelled_time,
            cancel_randomized=control.cancel_randomized,
            superseded_time=control.superseded_time,
        ),
        now,
    )
    ended = now >= control.start_time + control.duration_s
    name = at.code.name.lower()
    if at.code is EventStatusCode.ACTIVE and ended:
        name = "completed"  # EventStatus stays Active; the operator wants to see it is over
    return {"code": int(at.code), "name": name, "date_time": at.date_time}


def control_json(control: DERControlRow, now: int, primacy: int | None = None) -> dict[str, Any]:
    """A DERControl with its EventStatus at ``now``."""
    out = {
        "id": control.id,
        "mrid": control.mrid,
        "program_id": control.program_id,
        "description": control.description,
        "creation_time": control.creation_time,
        "start": control.start_time,
        "end": control.start_time + control.duration_s,
        "duration_s": control.duration_s,
        "randomize_start_s": control.randomize_start_s,
        "randomize_duration_s": control.randomize_duration_s,
        "status": _status(control, now),
        "modes": _modes(control),
        "summary": modes_summary(_modes(control)),
    }
    if primacy is not None:
        out["primacy"] = primacy
    return out


def _default_json(row: DefaultDERControlRow, primacy: int) -> dict[str, Any]:
    return {
        "id": row.id,
        "mrid": row.mrid,
        "program_id": row.program_id,
        "primacy": primacy,
        "description": row.description,
        "created_time": row.created_time,
        "set_grad_w": row.set_grad_w,
        "modes": _modes(row),
        "summary": modes_summary(_modes(row)),
    }


def _response_name(status: int | None) -> str:
    if status is None:
        return "unknown"
    try:
        return ResponseStatus(status).name.lower()
    except ValueError:
        return f"status {status}"


def _device_head(row: EndDeviceRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "lfdi": row.lfdi,
        "sfdi": row.sfdi,
        "aggregator_id": row.aggregator_id,
        "device_category": row.device_category,
        "enabled": row.enabled,
        "registered_time": row.registered_time,
        "connection_point_id": row.connection_point_id,
    }


def _active_controls(
    session: Session, device_ids: Sequence[int], now: int
) -> dict[int, dict[str, Any]]:
    """Per device: the control in force at ``now`` (lowest primacy, then newest)."""
    best: dict[int, q.DeviceControl] = {}
    for seen in q.controls_running_for_devices(session, device_ids, now=now):
        control = seen.control
        held = best.get(seen.device_id)
        # 2030.5 §10.10.3: across programs the lower primacy wins; within one, the newer.
        rank = (seen.primacy, -control.creation_time)
        if held is None or rank < (held.primacy, -held.control.creation_time):
            best[seen.device_id] = seen
    return {
        device_id: control_json(seen.control, now, seen.primacy)
        for device_id, seen in best.items()
    }


def _site_power(session: Session, device_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    series = [
        s
        for s in q.series_of_devices(session, device_ids)
        if is_site_mirror(s.mup.description, s.mup.role_flags)
        and quantity_of(s.mmr.description, s.mmr.uom, s.mmr.flow_direction) == "power_w"
    ]
    latest = q.latest_readings(session, [s.mmr.id for s in series if s.mmr.id is not None])
    out: dict[int, dict[str, Any]] = {}
    for s in series:
        reading = latest.get(s.mmr.id or 0)
        if reading is None:
            continue
        held = out.get(s.device_id)
        if held is None or reading.time_period_start > held["time"]:
            out[s.device_id] = {
                "value_w": _series_value(s, reading.value),
                "time": reading.time_period_start,
            }
    return out


def _status_summary(fields: dict[str, Any]) -> dict[str, Any]:
    keys = ("genConnectStatus", "operationalModeStatus", "inverterStatus", "stateOfChargeStatus")
    out = {k: fields[k] for k in keys if k in fields}
    words = {k: field_words(k, v) for k, v in out.items()}
    out["words"] = {k: w for k, w in words.items() if w is not None}
    return out


def is_stale(last_contact: int | None, post_rate_s: int, now: int) -> bool:
    """Silent for `STALE_POST_PERIODS` postRates, or never heard from."""
    return last_contact is None or now - last_contact > STALE_POST_PERIODS * post_rate_s


def fleet_staleness(session: Session, *, now: int, settings: ServerSettings) -> tuple[int, int]:
    """(devices registered, devices stale at ``now``) over the whole fleet."""
    ids = q.scoped_device_ids(session, aggregator_id=None)
    contact = q.last_contact_times(session, ids)
    fleet_post_rate_s = server_post_rate_s(session, settings)
    rates = q.device_post_rates(session, ids)
    stale = sum(is_stale(contact.get(i), rates.get(i) or fleet_post_rate_s, now) for i in ids)
    return len(ids), stale


def fleet_view(
    session: Session,
    *,
    aggregator_id: int | None,
    now: int,
    start: int,
    limit: int,
    settings: ServerSettings,
    lfdi_prefix: str | None = None,
    group_id: int | None = None,
) -> dict[str, Any]:
    """The fleet overview: every device in scope with its latest state at ``now``.

    A device is ``stale`` when it has posted nothing for `STALE_POST_PERIODS` of its
    postRate (or never did): its gateway is likely offline.
    """
    total, devices = q.scoped_devices(
        session,
        aggregator_id=aggregator_id,
        start=start,
        limit=limit,
        lfdi_prefix=lfdi_prefix,
        group_id=group_id,
    )
    ids = [d.id for d in devices if d.id is not None]
    groups = q.groups_of_devices(session, ids)
    contact = q.last_contact_times(session, ids)
    statuses = q.latest_resources(session, ids, "DERStatus")
    active = _active_controls(session, ids, now)
    defaults = q.latest_default_controls(session, ids)
    power = _site_power(session, ids)
    notes = q.notification_counts(session, ids)
    fleet_post_rate_s = server_post_rate_s(session, settings)  # a device's own rate wins
    rows = []
    stale_count = 0
    for device in devices:
        device_id = device.id or 0
        status = statuses.get(device_id)
        default = defaults.get(device_id)
        last = contact.get(device_id)
        post_rate_s = device.post_rate_s or fleet_post_rate_s
        stale = is_stale(last, post_rate_s, now)
        stale_count += stale
        rows.append(
            {
                **_device_head(device),
                "groups": [
                    {"id": g.id, "description": g.description} for g in groups.get(device_id, [])
                ],
                "last_contact": last,
                "post_rate_s": post_rate_s,
                "stale": stale,
                "der_status": None
                if status is None
                else {
                    "received_time": status.received_time,
                    **_status_summary(flatten_resource("DERStatus", status.xml)),
                },
                "active_control": active.get(device_id),
                "default_control": None
                if not default
                else _default_json(default[0][1], default[0][0].primacy),
                "site_power": power.get(device_id),
                "notifications": notes.get(device_id, {"pending": 0, "failed": 0}),
            }
        )
    fleet_power = sum(p["value_w"] for p in power.values())
    return {
        "now": now,
        "all": total,
        "start": start,
        "devices": rows,
        "filter": {"lfdi_prefix": lfdi_prefix, "group_id": group_id},
        "groups": [
            {"id": g.id, "description": g.description}
            for g in q.groups_in_scope(session, aggregator_id=aggregator_id)
        ],
        "summary": {
            "devices": total,
            "shown": len(rows),
            "with_active_control": len(active),
            "stale": stale_count,
            "site_power_w": fleet_power,
            "notifications_failed": sum(n["failed"] for n in notes.values()),
            "notifications_pending": sum(n["pending"] for n in notes.values()),
        },
    }


def _series_value(s: q.Series, raw: float) -> float:
    """A reading as shown: scaled, and site power signed + import / - export."""
    power_of_ten = s.mmr.power_of_ten_multiplier or 0
    value = float(raw) * 10.0**power_of_ten
    if power_of_ten < 0:  # 2401 x 10^-1 is 240.1, not 240.10000000000002
        value = round(value, -power_of_ten + 3)
    site_power = (
        is_site_mirror(s.mup.description, s.mup.role_flags)
        and quantity_of(s.mmr.description, s.mmr.uom, s.mmr.flow_direction) == "power_w"
    )
    return -value if site_power and s.mmr.flow_direction == _REVERSE else value


def _series_json(
    session: Session, series: Sequence[q.Series], rng: TimeRange
) -> list[dict[str, Any]]:
    """Each series' readings in ``rng``, averaged in the database to at most
    `MAX_CHART_POINTS` points (a month of minute data stays a small page)."""
    width_s = max(1, -(-rng.span_s // MAX_CHART_POINTS))
    by_id = {s.mmr.id or 0: s for s in series}
    points: dict[int, list[tuple[int, float]]] = {}
    for mmr_id, time_s, mean, _count in q.bucket_means(
        session, list(by_id), since=rng.since, until=rng.until, width_s=width_s
    ):
        points.setdefault(mmr_id, []).append((time_s, _series_value(by_id[mmr_id], mean)))
    out = []
    for mmr_id, s in by_id.items():
        quantity = quantity_of(s.mmr.description, s.mmr.uom, s.mmr.flow_direction)
        out.append(
            {
                "mirror": s.mup.description or s.mup.mrid,
                "site": is_site_mirror(s.mup.description, s.mup.role_flags),
                "mrid": s.mmr.mrid,
                "quantity": quantity or s.mmr.description or s.mmr.mrid,
                "unit": QUANTITY_UNITS.get(quantity or "", ""),
                "bucket_s": width_s,
                "points": points.get(mmr_id, []),
            }
        )
    return out


def device_view(
    session: Session,
    *,
    aggregator_id: int | None,
    lfdi: str,
    now: int,
    rng: TimeRange,
    history_limit: int,
) -> dict[str, Any]:
    """One device: DER resources with history, telemetry in ``rng``, controls, log events."""
    device = q.device_in_scope(session, lfdi=lfdi, aggregator_id=aggregator_id)
    if device is None or device.id is None:
        raise DashboardNotFoundError(f"no device with LFDI {lfdi} in your scope")
    ids = [device.id]
    resources = {}
    for kind in RESOURCE_CLASSES:
        history = q.resource_history(session, device.id, kind, limit=history_limit)
        resources[kind] = [
            {"received_time": row.received_time, "fields": flatten_resource(kind, row.xml)}
            for row in history
        ]
    responses = q.control_responses(session, ids, limit=1000)
    by_control: dict[int, list[dict[str, Any]]] = {}
    for response in responses:
        by_control.setdefault(response.der_control_id or 0, []).append(
            {
                "status": response.status,
                "status_name": _response_name(response.status),
                "created_time": response.created_time,
                "received_time": response.received_time,
            }
        )
    controls = [
        {
            **control_json(seen.control, now, seen.primacy),
            "responses": by_control.get(seen.control.id or 0, []),
        }
        for seen in q.controls_seen_by_devices(session, ids, limit=history_limit)
    ]
    defaults = q.latest_default_controls(session, ids).get(device.id, [])
    events = q.log_events(session, device.id, limit=history_limit)
    return {
        "now": now,
        "since": rng.since,
        "until": rng.until,
        "device": {
            **_device_head(device),
            "poll_rate_s": device.poll_rate_s,
            "post_rate_s": device.post_rate_s,
            "groups": [
                {"id": g.id, "description": g.description}
                for g in q.groups_of_devices(session, ids).get(device.id, [])
            ],
            "last_contact": q.last_contact_times(session, ids).get(device.id),
            "notifications": q.notification_counts(session, ids).get(
                device.id, {"pending": 0, "failed": 0}
            ),
        },
        "active_control": _active_controls(session, ids, now).get(device.id),
        "resources": resources,
        "telemetry": _series_json(session, q.series_of_devices(session, ids), rng),
        "controls": controls,
        "default_controls": [_default_json(d, p.primacy) for p, d in defaults],
        "log_events": [
            {
                "created_time": e.created_time,
                "received_time": e.received_time,
                "function_set": e.function_set,
                "log_event_code": e.log_event_code,
                "log_event_id": e.log_event_id,
                "log_event_pen": e.log_event_pen,
                "profile_id": e.profile_id,
                "details": e.details,
                "extended_data": e.extended_data,
            }
            for e in events
        ],
    }


def programs_view(
    session: Session, *, aggregator_id: int | None, now: int, controls_limit: int
) -> dict[str, Any]:
    """Every program in scope by primacy, with its controls' status and default control."""
    programs = q.programs_in_scope(session, aggregator_id=aggregator_id)
    ids = [p.id for p in programs if p.id is not None]
    controls = q.controls_of_programs(session, ids, limit_per_program=controls_limit)
    defaults = q.latest_default_controls_of_programs(session, ids)
    reach = q.program_reach(session, ids, aggregator_id=aggregator_id)
    answered = q.response_counts(
        session,
        [c.id for listed in controls.values() for c in listed if c.id is not None],
        aggregator_id=aggregator_id,
    )
    out = []
    for program in programs:
        listed = [
            {
                **control_json(c, now),
                "responses": {
                    _response_name(status): count
                    for status, count in sorted(answered.get(c.id or 0, {}).items())
                },
            }
            for c in controls.get(program.id or 0, [])
        ]
        counts: dict[str, int] = {}
        for control in listed:
            counts[control["status"]["name"]] = counts.get(control["status"]["name"], 0) + 1
        default = defaults.get(program.id or 0)
        out.append(
            {
                "id": program.id,
                "mrid": program.mrid,
                "description": program.description,
                "primacy": program.primacy,
                "created_time": program.created_time,
                "reach": reach.get(program.id or 0, {"groups": None, "devices": 0}),
                "status_counts": counts,
                "controls": listed,
                "default_control": None
                if default is None
                else _default_json(default, program.primacy),
            }
        )
    return {"now": now, "programs": out}


def _site_power_points(
    session: Session, device_ids: Sequence[int], rng: TimeRange, width_s: int
) -> dict[int, list[tuple[int, float]]]:
    """Site power per device in [since - hold, until), as ``width_s`` means [W, + = import]."""
    series = [
        s
        for s in q.series_of_devices(session, device_ids)
        if is_site_mirror(s.mup.description, s.mup.role_flags)
        and quantity_of(s.mmr.description, s.mmr.uom, s.mmr.flow_direction) == "power_w"
    ]
    by_id = {s.mmr.id or 0: s for s in series}
    out: dict[int, list[tuple[int, float]]] = {}
    for mmr_id, time_s, mean, _count in q.bucket_means(
        session,
        list(by_id),
        since=max(0, rng.since - max(MAX_HOLD_S, width_s)),
        until=rng.until,
        width_s=width_s,
    ):
        s = by_id[mmr_id]
        out.setdefault(s.device_id, []).append((time_s, _series_value(s, mean)))
    for device_points in out.values():
        device_points.sort()  # a device with two site power series: one timeline
    return out


def energy_view(
    session: Session, *, aggregator_id: int | None, now: int, rng: TimeRange, buckets: int
) -> dict[str, Any]:
    """Site import/export per device and in total over ``rng``, and fleet power over time.

    Energy integrates site power held until the next value (at most `MAX_HOLD_S`). Over
    long windows the readings are first averaged in the database over
    ``span / ENERGY_RESOLUTION`` (at least a minute), so a month costs the same as a day;
    a bucket's mean then stands for the whole bucket.
    """
    total, devices = q.scoped_devices(session, aggregator_id=aggregator_id, start=0, limit=100_000)
    lfdi = {d.id: d.lfdi for d in devices if d.id is not None}
    width_s = max(60, rng.span_s // ENERGY_RESOLUTION)
    hold_s = max(MAX_HOLD_S, width_s)
    points = _site_power_points(session, list(lfdi), rng, width_s)
    per_device = []
    import_wh = export_wh = 0.0
    for device_id, device_points in sorted(points.items()):
        totals = integrate_energy_wh(
            device_points, since=rng.since, until=rng.until, max_hold_s=hold_s
        )
        import_wh += totals.import_wh
        export_wh += totals.export_wh
        per_device.append(
            {
                "lfdi": lfdi[device_id],
                "import_wh": round(totals.import_wh, 3),
                "export_wh": round(totals.export_wh, 3),
                "values": len(device_points),
            }
        )
    aggregate = bucket_sums(
        points, since=rng.since, until=rng.until, buckets=buckets, max_hold_s=hold_s
    )
    return {
        "now": now,
        "since": rng.since,
        "until": rng.until,
        "resolution_s": width_s,
        "devices_in_scope": total,
        "totals": {"import_wh": round(import_wh, 3), "export_wh": round(export_wh, 3)},
        "devices": per_device,
        "fleet_power": [{"time": t, "power_w": v} for t, v in aggregate],
    }


TELEMETRY_HEADER = (
    "time_utc",
    "time_s",
    "lfdi",
    "mirror",
    "quantity",
    "value",
    "unit",
    "mrid",
)


def _lfdis_in_scope(
    session: Session, *, aggregator_id: int | None, lfdi: str | None
) -> dict[int, str]:
    """LFDI by device id: of the one device ``lfdi`` names, or of every device in scope.

    Raises
    ------
    DashboardNotFoundError
        ``lfdi`` names no device in the caller's scope.
    """
    if lfdi is not None:
        device = q.device_in_scope(session, lfdi=lfdi, aggregator_id=aggregator_id)
        if device is None or device.id is None:
            raise DashboardNotFoundError(f"no device with LFDI {lfdi} in your scope")
        return {device.id: device.lfdi}
    _, rows = q.scoped_devices(session, aggregator_id=aggregator_id, start=0, limit=100_000)
    return {d.id: d.lfdi for d in rows if d.id is not None}


def telemetry_rows(
    session: Session,
    *,
    aggregator_id: int | None,
    lfdi: str | None,
    rng: TimeRange,
    limit: int,
) -> list[tuple[Any, ...]]:
    """Readings of one device (or every device in scope) in ``rng``, time order."""
    devices = _lfdis_in_scope(session, aggregator_id=aggregator_id, lfdi=lfdi)
    series = {s.mmr.id or 0: s for s in q.series_of_devices(session, list(devices))}
    out: list[tuple[Any, ...]] = []
    labels = {
        mmr_id: (
            devices[s.device_id],
            s.mup.description or s.mup.mrid,
            quantity_of(s.mmr.description, s.mmr.uom, s.mmr.flow_direction),
        )
        for mmr_id, s in series.items()
    }
    for mmr_id, time_s, raw in q.reading_values_in_range(
        session, list(series), since=rng.since, until=rng.until, limit=limit
    ):
        s = series[mmr_id]
        lfdi_of, mirror_name, quantity = labels[mmr_id]
        out.append(
            (
                iso(time_s),
                time_s,
                lfdi_of,
                mirror_name,
                quantity or s.mmr.description or s.mmr.mrid,
                _series_value(s, raw),
                QUANTITY_UNITS.get(quantity or "", ""),
                s.mmr.mrid,
            )
        )
    return out


RESPONSE_HEADER = (
    "received_utc",
    "received_time_s",
    "lfdi",
    "control_mrid",
    "control_description",
    "status",
    "status_name",
    "created_time_s",
)


def response_rows(
    session: Session,
    *,
    aggregator_id: int | None,
    lfdi: str | None,
    rng: TimeRange,
    limit: int,
) -> list[tuple[Any, ...]]:
    """Responses to controls received in ``rng``, of one device or every device in scope."""
    devices = _lfdis_in_scope(session, aggregator_id=aggregator_id, lfdi=lfdi)
    responses = q.control_responses(
        session,
        list(devices),
        since=rng.since,
        until=rng.until,
        limit=limit,
    )
    descriptions = q.control_descriptions(
        session, [r.der_control_id for r in responses if r.der_control_id is not None]
    )
    return [
        (
            iso(r.received_time),
            r.received_time,
            devices[r.end_device_id],
            r.subject_mrid,
            descriptions.get(r.der_control_id or 0, ""),
            r.status,
            _response_name(r.status),
            r.created_time,
        )
        for r in responses
    ]


def control_report(
    session: Session, *, aggregator_id: int | None, control_id: int, now: int
) -> dict[str, Any]:
    """Per site that sees a control: inside its site limits or not, by how much and how
    long, and its Responses. The window ends at the control's end, cancellation,
    supersession or ``now``, whichever is first."""
    control = fleet.get_control(session, control_id)
    ids = list(select_end_device_ids_seeing_program(session, control.program_id))
    if aggregator_id is not None:
        visible = set(q.scoped_device_ids(session, aggregator_id=aggregator_id))
        ids = [i for i in ids if i in visible]
        if not ids:
            raise DashboardNotFoundError(f"no control {control_id} in your scope")
    stops = [control.start_time + control.duration_s, now]
    stops += [t for t in (control.cancelled_time, control.superseded_time) if t is not None]
    since, until = control.start_time, max(control.start_time, min(stops))
    rng = TimeRange(since, max(until, since + 1))
    points = _site_power_points(session, ids, rng, width_s=1)
    lfdis = {i: row.lfdi for i in ids if (row := session.get(EndDeviceRow, i)) is not None}
    responses: dict[int, list[dict[str, Any]]] = {}
    for r in q.control_responses(session, ids, limit=10_000):
        if r.der_control_id == control.id:
            responses.setdefault(r.end_device_id or 0, []).append(
                {
                    "status": r.status,
                    "status_name": _response_name(r.status),
                    "received_time": r.received_time,
                }
            )
    sites = []
    for device_id in ids:
        result = site_compliance(
            points.get(device_id, []),
            since=since,
            until=until,
            export_limit_w=control.op_mod_exp_lim_w,
            import_limit_w=control.op_mod_imp_lim_w,
            max_hold_s=MAX_HOLD_S,
        )
        sites.append(
            {
                "lfdi": lfdis.get(device_id),
                "verdict": result.verdict,
                "covered_s": result.covered_s,
                "outside_s": result.outside_s,
                "worst_excess_w": round(result.worst_excess_w, 1),
                "excess_wh": round(result.excess_wh, 2),
                "responses": responses.get(device_id, []),
            }
        )
    return {
        "now": now,
        "control": control_json(control, now),
        "since": since,
        "until": until,
        "checked": {
            "export_limit_w": control.op_mod_exp_lim_w,
            "import_limit_w": control.op_mod_imp_lim_w,
        },
        "sites": sites,
        "summary": {
            verdict: sum(1 for s in sites if s["verdict"] == verdict)
            for verdict in ("inside", "outside", "no data")
        },
    }


COMPLIANCE_HEADER = (
    "control_mrid",
    "lfdi",
    "verdict",
    "window_since_utc",
    "window_until_utc",
    "covered_s",
    "outside_s",
    "worst_excess_w",
    "excess_wh",
    "responses",
)


def compliance_rows(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of a `control_report` as CSV."""
    return [
        (
            report["control"]["mrid"],
            s["lfdi"],
            s["verdict"],
            iso(report["since"]),
            iso(report["until"]),
            s["covered_s"],
            s["outside_s"],
            s["worst_excess_w"],
            s["excess_wh"],
            " ".join(r["status_name"] for r in s["responses"]),
        )
        for s in report["sites"]
    ]
