// openderms dashboard: plotly figures, the device page's refresh and the live view
// (plotly.min.js comes from the installed plotly package via this server; no CDN).
"use strict";
(function () {
  const root = document.getElementById("live");
  if (!root) { return; }
  const api = root.dataset.api;
  const deviceUrl = root.dataset.deviceUrl;
  const refreshMs = 1000 * Number(root.dataset.refreshS || 5);
  const history = [];
  const maxPoints = 180;

  function fmtPower(w) {
    if (w === null || w === undefined) { return "\u2013"; }
    return Math.abs(w) >= 1000 ? (w / 1000).toFixed(2) + " kW" : w.toFixed(0) + " W";
  }
  function iso(t) {
    return t === null || t === undefined ? "\u2013" : new Date(t * 1000).toISOString().replace(".000", "");
  }
  function short(t) {
    const text = iso(t);
    return text.length < 16 ? text : text.slice(5, 10) + " " + text.slice(11, 16) + "Z";
  }
  function ago(t, now) {
    if (t === null || t === undefined) { return "never"; }
    const d = now - t;
    if (d < 0) { return "in the future"; }
    if (d >= 86400) { return Math.floor(d / 86400) + " d ago"; }
    if (d >= 3600) { return Math.floor(d / 3600) + " h ago"; }
    if (d >= 60) { return Math.floor(d / 60) + " min ago"; }
    return d + " s ago";
  }
  function cell(row, text, cls) {
    const td = document.createElement("td");
    if (cls) { td.className = cls; }
    td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function badge(td, text, cls) {
    const span = document.createElement("span");
    span.className = "badge " + cls;
    span.textContent = text;
    td.appendChild(span);
    td.appendChild(document.createTextNode(" "));
  }
  function render(data) {
    document.getElementById("sum-devices").textContent = data.summary.devices;
    document.getElementById("sum-active").textContent = data.summary.with_active_control;
    document.getElementById("sum-stale").textContent = data.summary.stale;
    document.getElementById("sum-power").textContent = fmtPower(data.summary.site_power_w);
    document.getElementById("sum-notes").textContent =
      data.summary.notifications_failed + " / " + data.summary.notifications_pending;
    document.getElementById("live-time").textContent = iso(data.now);
    const body = document.querySelector("#fleet-table tbody");
    const rows = document.createDocumentFragment();
    for (const d of data.devices) {
      const tr = document.createElement("tr");
      const link = document.createElement("a");
      link.href = deviceUrl.replace("LFDI", d.lfdi);
      link.textContent = d.lfdi.slice(0, 8) + "\u2026" + d.lfdi.slice(-4);
      cell(tr, "", "mono").appendChild(link);
      cell(tr, String(d.sfdi), "mono");
      cell(tr, d.groups.map(function (g) { return g.description || "group " + g.id; }).join(", ") || "\u2013");
      const contact = cell(tr, ago(d.last_contact, data.now) + " ");
      contact.title = iso(d.last_contact);
      if (d.stale) { badge(contact, "stale", "failed"); }
      const s = d.der_status;
      const parts = [];
      if (s) {
        if (s.stateOfChargeStatus !== undefined) { parts.push("SoC " + s.stateOfChargeStatus + " %"); }
        const words = s.words || {};
        if (words.operationalModeStatus) { parts.push(words.operationalModeStatus); }
        if (words.inverterStatus) { parts.push("\u00b7 inverter " + words.inverterStatus); }
        if (words.genConnectStatus) { parts.push("\u00b7 " + words.genConnectStatus); }
      }
      cell(tr, s ? parts.join(" ") + " (" + ago(s.received_time, data.now) + ")" : "\u2013");
      const ctl = cell(tr, "");
      if (d.active_control) {
        badge(ctl, d.active_control.status.name, d.active_control.status.name);
        ctl.appendChild(document.createTextNode(d.active_control.summary + " "));
        const until = document.createElement("span");
        until.className = "muted";
        until.textContent = (d.active_control.description || "") + " until " + short(d.active_control.end);
        ctl.appendChild(until);
      } else if (d.default_control) {
        badge(ctl, "default", "default");
        ctl.appendChild(document.createTextNode(d.default_control.summary));
      } else { ctl.textContent = "\u2013"; }
      cell(tr, d.site_power ? fmtPower(d.site_power.value_w) : "\u2013", "num");
      const notes = cell(tr, "");
      if (d.notifications.failed) { badge(notes, d.notifications.failed + " failed", "failed"); }
      if (d.notifications.pending) { badge(notes, d.notifications.pending + " pending", "pending"); }
      if (!d.notifications.failed && !d.notifications.pending) { notes.textContent = "\u2013"; }
      rows.appendChild(tr);
    }
    body.replaceChildren(rows);
    history.push([data.now, data.summary.site_power_w]);
    if (history.length > maxPoints) { history.shift(); }
    drawChart();
  }
  function drawChart() {
    const plot = document.getElementById("live-plot");
    if (!plot || !window.Plotly) { return; }
    window.Plotly.react(plot, [{
      type: "scatter", mode: "lines", name: "fleet site power",
      x: history.map(function (p) { return new Date(p[0] * 1000).toISOString(); }),
      y: history.map(function (p) { return p[1]; }),
      line: { color: "#0072B2", width: 1.8 },
    }], {
      title: { text: "Fleet site power (+ import, − export)", font: { size: 14 }, x: 0.01 },
      xaxis: { type: "date" },
      yaxis: { title: { text: "W" }, zeroline: true, automargin: true },
      margin: { l: 60, r: 16, t: 36, b: 44 }, height: 240,
    }, { displaylogo: false, responsive: true });
  }
  async function tick() {
    const error = document.getElementById("live-error");
    try {
      const response = await fetch(api + window.location.search, {
        credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (response.status === 401) { window.location.reload(); return; }
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      render(await response.json());
      error.textContent = "";
    } catch (e) {
      error.textContent = " \u00b7 update failed (" + e.message + "); retrying";
    }
  }
  async function prefill() {
    // The last 15 min from the energy view, one value per refresh period, so the chart
    // shows a trend at once instead of starting empty.
    try {
      const url = root.dataset.historyApi + "?window_s=" + (maxPoints * refreshMs / 1000) +
        "&buckets=" + maxPoints;
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) { return; }
      const data = await response.json();
      for (const point of data.fleet_power) {
        if (point.power_w !== null) { history.push([point.time, point.power_w]); }
      }
    } catch (e) {
      // No history: the chart fills as the page refreshes.
    }
  }
  prefill().then(tick);
  window.setInterval(tick, refreshMs);
}());

(function () {
  // Figures rendered on the server as JSON (see plots.py), drawn with plotly.
  const holder = document.getElementById("plots");
  const source = document.getElementById("figures");
  if (!holder || !source || !window.Plotly) { return; }
  const config = { displaylogo: false, responsive: true };
  function draw(figures) {
    const slots = holder.querySelectorAll(".plot");
    figures.forEach(function (figure, i) {
      if (slots[i]) { window.Plotly.react(slots[i], figure.data, figure.layout, config); }
    });
  }
  draw(JSON.parse(source.textContent));
  const url = holder.dataset.refreshUrl;
  if (!url) { return; }
  async function refresh() {
    const error = document.getElementById("plots-error");
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.status === 401) { window.location.reload(); return; }
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      const data = await response.json();
      draw(data.figures);
      document.getElementById("plots-time").textContent =
        "updated " + new Date(data.now * 1000).toISOString().replace(".000", "");
      error.textContent = "";
    } catch (e) {
      error.textContent = "refresh failed (" + e.message + "); retrying";
    }
  }
  window.setInterval(refresh, 1000 * Number(holder.dataset.refreshS || 30));
}());

(function () {
  // The admin API's Swagger UI (swagger-ui-bundle.js of the swagger-ui-py package).
  const holder = document.getElementById("swagger");
  if (!holder || !window.SwaggerUIBundle) { return; }
  window.SwaggerUIBundle({ url: holder.dataset.url, domNode: holder, deepLinking: false });
}());
