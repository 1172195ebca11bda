"""Parquet exports: the CSV's rows, with the time range and row limit they cover stated."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq
from dashboard_testlib import UTILITY_DEVICE, DashboardServer

from openderms.testing.clock import NOW


async def test_telemetry_parquet_holds_the_csv_rows_and_says_what_it_covers(
    dashboard: DashboardServer,
) -> None:
    bearer = dashboard.bearer(dashboard.utility_token)
    query = f"?lfdi={UTILITY_DEVICE}&since={NOW - 3600}&until={NOW + 60}&limit=50"
    parquet = await dashboard.client.get(
        f"/dashboard/export/telemetry.parquet{query}", headers=bearer
    )
    text = await dashboard.client.get(f"/dashboard/export/telemetry.csv{query}", headers=bearer)
    assert parquet.status_code == 200
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    for response in (parquet, text):
        assert response.headers["X-Openderms-Since"] == str(NOW - 3600)
        assert response.headers["X-Openderms-Until"] == str(NOW + 60)
        assert response.headers["X-Openderms-Row-Limit"] == "50"
        assert (
            response.headers["X-Openderms-Truncated"] == "true"
        )  # 60 power + 60 voltage readings > 50
    table = pq.read_table(io.BytesIO(parquet.content))
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    assert meta["openderms.row_limit"] == "50" and meta["openderms.truncated"] == "true"
    assert meta["openderms.since"] == str(NOW - 3600)
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert table.num_rows == len(rows) == 50
    assert table.column("time_s").to_pylist() == [int(r["time_s"]) for r in rows]
    assert table.column("value").to_pylist() == [float(r["value"]) for r in rows]


async def test_compliance_and_responses_parquet(dashboard: DashboardServer) -> None:
    bearer = dashboard.bearer(dashboard.utility_token)
    control_id = dashboard.seeded.active_control_id
    report = await dashboard.client.get(
        f"/dashboard/export/compliance/{control_id}.parquet", headers=bearer
    )
    table = pq.read_table(io.BytesIO(report.content))
    by_lfdi = dict(
        zip(table.column("lfdi").to_pylist(), table.column("verdict").to_pylist(), strict=True)
    )
    assert by_lfdi[UTILITY_DEVICE] == "inside"
    responses = await dashboard.client.get("/dashboard/export/responses.parquet", headers=bearer)
    assert pq.read_table(io.BytesIO(responses.content)).column("status_name").to_pylist() == [
        "event_started"
    ]
