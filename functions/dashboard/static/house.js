// A household's page: today's consumption object by object, production, battery, autarky,
// notifications, the month's bill so far and its projection, and past bills.
"use strict";

const PALETTE = ["#4361ee", "#f3722c", "#43aa8b", "#9b5de5", "#f9c74f", "#577590", "#f15bb5", "#90be6d"];
const api = Grid.api;
let house = null;

async function optional(path) {
  try {
    return await api(path);
  } catch (error) {
    if (error instanceof Grid.ApiError && error.status === 404) return null; // e.g. no battery
    throw error;
  }
}

async function refresh(clock) {
  const id = encodeURIComponent(Grid.houseId());
  house = house || (await api(`/houses/${id}`));
  Grid.setText("house-name", house.name);
  Grid.setText("house-community", house.communityId ? `community ${house.communityId}` : house.status);
  Grid.setText("clock", Grid.gridTime(clock.now));
  const date = Grid.day(clock.now);
  const [consumption, autarky, battery, current, bills, notifications, production] = await Promise.all([
    api(`/houses/${id}/consumption?date=${date}`),
    api(`/houses/${id}/autarky`),
    optional(`/houses/${id}/battery`),
    api(`/houses/${id}/bills/current`),
    api(`/houses/${id}/bills`),
    api(`/houses/${id}/notifications`),
    house.producerId ? api(`/producers/${encodeURIComponent(house.producerId)}/production?date=${date}`) : null,
  ]);
  const objects = Object.keys(consumption.objects).sort();
  const readings = await Promise.all(
    objects.map((name) => api(`/houses/${id}/consumption/objects/${encodeURIComponent(name)}?date=${date}`)),
  );
  const toWatts = (wh) => (wh * 60) / clock.tickMinutes; // a tick's energy as its mean power
  drawObjects(readings, production, toWatts);
  drawRanking(consumption.objects);
  drawBills(bills.bills);
  showKpis(consumption, production, battery, autarky, current);
  showBills(bills.bills);
  Grid.fillList(
    document.getElementById("notifications"),
    notifications.notifications.slice(0, 20).map((n) => ({ title: `${Grid.gridTime(n.timestamp)} · ${n.subject}`, text: n.message })),
    "No notification.",
  );
  document.body.dataset.refreshedAt = clock.now;
}

function drawObjects(readings, production, toWatts) {
  const traces = readings.map((object, i) => ({
    type: "scatter", mode: "lines", stackgroup: "used", name: object.name,
    x: object.readings.map((r) => r.timestamp), y: object.readings.map((r) => toWatts(r.wh)),
    line: { width: 0.5, color: PALETTE[i % PALETTE.length] },
    hovertemplate: `${object.name}: %{y:.0f} W<extra></extra>`,
  }));
  if (production) {
    traces.push({
      type: "scatter", mode: "lines", name: "production",
      x: production.readings.map((r) => r.timestamp), y: production.readings.map((r) => toWatts(r.wh)),
      line: { color: "#2a9d8f", width: 3 },
      hovertemplate: "produced: %{y:.0f} W<extra></extra>",
    });
  }
  Grid.draw("objects-chart", traces, { yaxis: { ticksuffix: " W", rangemode: "tozero" }, hovermode: "x unified" });
}

function drawRanking(objects) {
  const ranked = Object.entries(objects).sort((a, b) => a[1] - b[1]); // plotly draws bottom-up
  Grid.draw("ranking-chart", [{
    type: "bar", orientation: "h", name: "today",
    y: ranked.map(([name]) => name), x: ranked.map(([, wh]) => wh / 1000),
    marker: { color: "#f3722c" }, hovertemplate: "%{y}: %{x:.2f} kWh<extra></extra>",
  }], { xaxis: { title: { text: "kWh today" } }, showlegend: false, margin: { l: 110, r: 20, t: 10, b: 40 } });
}

function drawBills(bills) {
  const months = bills.map((b) => b.month);
  const current = bills.filter((b) => !b.final);
  Grid.draw("bills-chart", [ // the projection first: drawn behind what is billed so far
    { type: "bar", name: "projected to the month's end", x: current.map((b) => b.month),
      y: current.map((b) => Number(b.projection?.total ?? b.total)), marker: { color: "rgba(69,123,157,0.35)" } },
    { type: "bar", name: "billed (so far for this month)", x: months, y: bills.map((b) => Number(b.total)), marker: { color: "#457b9d" } },
  ], { barmode: "overlay", bargap: 0.6, yaxis: { title: { text: bills[0]?.currency ?? "EUR" } }, xaxis: { type: "category" } });
}

function showKpis(consumption, production, battery, autarky, current) {
  Grid.setText("kpi-consumed", Grid.kwh(consumption.wh));
  Grid.setText("kpi-produced", production ? Grid.kwh(production.wh) : "no production");
  Grid.setText("kpi-battery", battery
    ? `${Grid.percent((100 * battery.storedWh) / battery.capacityWh)} · ${Grid.kwh(battery.storedWh)}`
    : "no battery");
  Grid.setText("kpi-autarky", `${autarky.autarkic ? "autarkic" : "not autarkic"} · ${Grid.percent(autarky.coveragePercent)}`,
    autarky.autarkic ? "good" : "");
  const soFar = document.getElementById("bill-so-far");
  soFar.textContent = Grid.euros(current.total, current.currency);
  soFar.dataset.total = current.total;
  const projection = document.getElementById("bill-projection");
  projection.textContent = current.projection ? Grid.euros(current.projection.total, current.currency) : "–";
  projection.dataset.total = current.projection?.total ?? "";
}

function showBills(bills) {
  const rows = [...bills].reverse().map((b) => [
    b.month,
    `${b.fromDate.slice(8)}–${b.toDate.slice(8)}`,
    Grid.kwh(b.boughtWh),
    Grid.kwh(b.soldWh),
    Grid.euros(b.amountDue, b.currency),
    Grid.euros(b.amountCredited, b.currency),
    { text: Grid.euros(b.total, b.currency), className: "strong" },
    b.final ? "final" : "so far",
  ]);
  Grid.fillTable(document.querySelector("#bills tbody"), rows, "No bill yet.");
}

function start() {
  Grid.takeFragment();
  if (!Grid.token() || !Grid.houseId()) {
    Grid.askToken("Give your house id and its token (returned when the house registered).", { withHouse: true });
    return;
  }
  Grid.everyTick(refresh);
}

start();
