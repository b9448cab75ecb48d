// The operator's dashboard: the grid live, its communities, producers, alerts, VPP and clock.
"use strict";

const COLORS = { consumption: "#e4572e", production: "#2a9d8f", peak: "#c1121f", near: "#c1121f", ok: "#457b9d" };
const PALETTE = ["#4361ee", "#f3722c", "#43aa8b", "#9b5de5", "#f9c74f", "#577590", "#f15bb5", "#90be6d"];
const NEAR_LIMIT = 0.9; // a producer at 90 % of its limit or more is near it
const houses = new Map(); // houseId -> {name, lat, lon, communityId}: read once each
const membersSeen = new Map(); // communityId -> members when its houses were last read
let lastClock = null;

const api = Grid.api;
const query = (params) => new URLSearchParams(params).toString();
const communityColor = (ids, id) => PALETTE[ids.indexOf(id) % PALETTE.length];
const shortId = (id) => id.slice(0, 8);

async function refresh(clock) {
  lastClock = clock;
  Grid.setText("clock", Grid.gridTime(clock.now));
  const now = Date.parse(clock.now);
  const from = Grid.isoAt(now - Number(document.getElementById("window").value) * 3600e3);
  const [frames, communities, alerts, vpp, producers] = await Promise.all([
    api(`/grid/frames?${query({ from, to: clock.now })}`),
    api("/communities"),
    api("/alerts?status=open"),
    api("/vpp/capacity"),
    api("/producers"),
  ]);
  const ids = communities.communities.map((c) => c.communityId);
  const details = await Promise.all(
    ids.map(async (id) => {
      const [autarky, peaks, notifications] = await Promise.all([
        api(`/communities/${id}/autarky`),
        api(`/communities/${id}/peaks?${query({ from: Grid.day(from), to: Grid.day(clock.now) })}`),
        api(`/communities/${id}/notifications`),
      ]);
      return { id, autarky, peaks: peaks.peaks, notifications: notifications.notifications };
    }),
  );
  const utilities = producers.producers.filter((p) => p.productionLimitW !== null);
  const setpoints = await Promise.all(utilities.map((p) => api(`/producers/${p.producerId}/setpoint`)));
  await readNewHouses(communities.communities);

  const today = Grid.day(clock.now);
  const latest = frames.frames.at(-1);
  drawGrid(frames.frames, ids, details, from);
  drawBalance(frames.frames);
  drawProducers(utilities, setpoints, latest);
  drawMap(ids, communities.communities);
  showKpis(latest, details, today, alerts.alerts, vpp.total);
  showCommunities(communities.communities, details, latest, alerts.alerts, vpp.communities, today);
  showAlerts(alerts.alerts);
  showNotifications(details);
  document.body.dataset.refreshedAt = clock.now; // tests (and curious users) see the last tick drawn
}

// Locations are not in GET /communities: each house is read once, when its community grows.
async function readNewHouses(communities) {
  const grown = communities.filter((c) => membersSeen.get(c.communityId) !== c.members);
  for (const community of grown) {
    const detail = await api(`/communities/${community.communityId}`);
    const unknown = detail.houses.filter((id) => !houses.has(id));
    const read = await Promise.all(unknown.map((id) => api(`/houses/${id}`)));
    for (const house of read) {
      houses.set(house.houseId, { name: house.name, communityId: detail.communityId, ...house.location });
    }
    membersSeen.set(community.communityId, community.members);
  }
}

function peakText(peak) {
  const over = `peak ${Grid.watts(peak.valueW)} > ${Grid.watts(peak.thresholdW)} at ${Grid.clockTime(peak.frameStart)}`;
  if (!peak.shed) return `${over}<br>nothing shed yet`;
  const objects = peak.shed.objects.map((o) => `${o.name} of ${o.houseId} (${Grid.watts(o.powerW)})`);
  const what = objects.length ? objects.join("<br>") : "no schedulable object was drawing";
  return `${over}<br>shed ${Grid.watts(peak.shed.shedW)} from ${Grid.clockTime(peak.shed.start)} ` +
    `until ${Grid.clockTime(peak.shed.until)}:<br>${what}`;
}

function drawGrid(frames, ids, details, from) {
  const x = frames.map((f) => f.frameStart);
  const traces = [
    { name: "grid consumption", x, y: frames.map((f) => f.grid.consumptionW), line: { color: COLORS.consumption, width: 3 } },
    { name: "grid production", x, y: frames.map((f) => f.grid.productionW), line: { color: COLORS.production, width: 3 } },
  ];
  for (const id of ids) {
    traces.push({
      name: `${shortId(id)} consumption`,
      x,
      y: frames.map((f) => f.communities[id]?.consumptionW ?? null),
      line: { color: communityColor(ids, id), dash: "dot", width: 1.5 },
    });
  }
  const peaks = details.flatMap((d) => d.peaks.filter((p) => p.frameStart >= from).map((p) => ({ ...p, id: d.id })));
  traces.push({
    name: "peaks",
    x: peaks.map((p) => p.frameStart),
    y: peaks.map((p) => p.valueW),
    mode: "markers",
    marker: { symbol: "x", size: 11, color: COLORS.peak, line: { width: 2 } },
    text: peaks.map((p) => `${shortId(p.id)}: ${peakText(p)}`),
    hovertemplate: "%{text}<extra></extra>",
  });
  Grid.draw("grid-chart", traces.map((t) => ({ type: "scatter", mode: "lines", ...t })), {
    yaxis: { ticksuffix: " W", rangemode: "tozero" },
    hovermode: "x unified",
  });
}

function drawBalance(frames) {
  const balance = frames.map((f) => f.grid.productionW - f.grid.consumptionW);
  Grid.draw("balance-chart", [{
    type: "bar",
    name: "balance",
    x: frames.map((f) => f.frameStart),
    y: balance,
    marker: { color: balance.map((b) => (b >= 0 ? COLORS.production : COLORS.consumption)) },
    hovertemplate: "%{x}<br>%{y:.0f} W<extra></extra>",
  }], { yaxis: { ticksuffix: " W" }, showlegend: false, bargap: 0.05 });
}

function drawProducers(utilities, setpoints, latest) {
  const names = utilities.map((p) => p.name);
  const actual = utilities.map((p) => latest?.producers?.[p.producerId] ?? 0);
  const asked = setpoints.map((s) => s.setpointW ?? 0);
  const limits = utilities.map((p) => p.productionLimitW);
  const near = utilities.map((_, i) => Math.max(actual[i], asked[i]) >= NEAR_LIMIT * limits[i]);
  Grid.draw("producers-chart", [
    { type: "bar", orientation: "h", name: "producing", y: names, x: actual,
      marker: { color: near.map((n) => (n ? COLORS.near : COLORS.ok)) } },
    { type: "bar", orientation: "h", name: "asked (setpoint)", y: names, x: asked, marker: { color: "#a8dadc" } },
    { type: "scatter", mode: "markers", name: "limit", y: names, x: limits,
      marker: { symbol: "line-ns-open", size: 24, color: "#1d3557", line: { width: 3 } } },
  ], { barmode: "group", xaxis: { ticksuffix: " W", rangemode: "tozero" }, margin: { l: 110, r: 20, t: 10, b: 40 } });
  const items = utilities.flatMap((p, i) => (near[i] ? [{
    title: p.name,
    text: `at ${Grid.percent((100 * Math.max(actual[i], asked[i])) / limits[i])} of its ${Grid.watts(limits[i])} limit`,
    className: "warn",
  }] : []));
  Grid.fillList(document.getElementById("producers-near"), items, "No producer is near its limit.");
}

function drawMap(ids, communities) {
  const known = [...houses.entries()];
  const traces = ids.map((id) => {
    const members = known.filter(([, h]) => h.communityId === id);
    return {
      type: "scatter", mode: "markers", name: shortId(id),
      x: members.map(([, h]) => h.lon), y: members.map(([, h]) => h.lat),
      text: members.map(([houseId, h]) => `${h.name}<br>${houseId}`),
      hovertemplate: "%{text}<extra>%{fullData.name}</extra>",
      marker: { size: 10, color: communityColor(ids, id), line: { width: 1, color: "#fff" } },
    };
  });
  traces.unshift({ // first, so that houses are drawn over their anchors
    type: "scatter", mode: "markers", name: "community anchors",
    x: communities.map((c) => c.location.lon), y: communities.map((c) => c.location.lat),
    text: communities.map((c) => c.communityId), hovertemplate: "%{text}<extra></extra>",
    marker: { symbol: "diamond-open", size: 14, color: "#1d3557", line: { width: 2 } },
  });
  const lats = known.map(([, h]) => h.lat);
  const middle = lats.length ? (Math.min(...lats) + Math.max(...lats)) / 2 : 45;
  Grid.draw("map-chart", traces, {
    xaxis: { title: { text: "longitude" } },
    legend: { orientation: "h", y: -0.25, yanchor: "top" },
    // a degree of longitude is shorter than one of latitude, by cos(latitude)
    yaxis: { title: { text: "latitude" }, scaleanchor: "x", scaleratio: 1 / Math.cos((middle * Math.PI) / 180) },
  });
}

function showKpis(latest, details, today, alerts, vppTotal) {
  const consumption = latest?.grid.consumptionW ?? 0;
  const production = latest?.grid.productionW ?? 0;
  const balance = production - consumption;
  Grid.setText("kpi-consumption", latest ? Grid.watts(consumption) : "no frame yet");
  Grid.setText("kpi-production", latest ? Grid.watts(production) : "no frame yet");
  Grid.setText("kpi-balance", latest ? `${balance >= 0 ? "+" : ""}${Grid.watts(balance)}` : "–", balance >= 0 ? "good" : "bad");
  const peaksToday = details.reduce((n, d) => n + d.peaks.filter((p) => p.frameStart.startsWith(today)).length, 0);
  Grid.setText("kpi-peaks", String(peaksToday), peaksToday ? "bad" : "");
  Grid.setText("kpi-alerts", String(alerts.length), alerts.length ? "bad" : "");
  Grid.setText("kpi-vpp", `${Grid.watts(vppTotal.sell.powerW)} / ${Grid.watts(vppTotal.buy.powerW)}`);
}

function showCommunities(communities, details, latest, alerts, vppCommunities, today) {
  const rows = communities.map((community) => {
    const id = community.communityId;
    const detail = details.find((d) => d.id === id);
    const now = latest?.communities?.[id];
    const autarky = detail.autarky;
    const open = alerts.filter((a) => a.communityId === id).length;
    const peaks = detail.peaks.filter((p) => p.frameStart.startsWith(today)).length;
    const vpp = vppCommunities.find((c) => c.communityId === id);
    return [
      id,
      String(community.members),
      now ? Grid.watts(now.consumptionW) : "–",
      now ? Grid.watts(now.productionW) : "–",
      { text: `${autarky.autarkic ? "autarkic" : "not autarkic"} · ${Grid.percent(autarky.coveragePercent)} covered`,
        className: autarky.autarkic ? "good" : "" },
      { text: String(open), className: open ? "bad" : "" },
      { text: String(peaks), className: peaks ? "bad" : "" },
      vpp ? `${Grid.watts(vpp.sell.powerW)} / ${Grid.watts(vpp.buy.powerW)}` : "not enrolled",
    ];
  });
  Grid.fillTable(document.querySelector("#communities tbody"), rows, "No community yet: register a house.");
}

function showAlerts(alerts) {
  const items = alerts.slice(0, 20).map((a) => ({
    title: `${a.alertType} · ${a.subject.kind} ${a.subject.id}`,
    text: `${a.message} (since ${Grid.gridTime(a.since)})`,
    className: "bad",
  }));
  Grid.fillList(document.getElementById("alerts"), items, "No open alert.");
}

function showNotifications(details) {
  const all = details.flatMap((d) => d.notifications.map((n) => ({ ...n, communityId: d.id })));
  all.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
  const items = all.slice(0, 20).map((n) => ({
    title: `${Grid.clockTime(n.timestamp)} ${shortId(n.communityId)} · ${n.subject}`,
    text: n.message,
  }));
  Grid.fillList(document.getElementById("notifications"), items, "No notification.");
}

function start() {
  Grid.takeFragment();
  if (!Grid.token()) {
    Grid.askToken("This page shows the grid to staff: give the staff token (make run prints it).");
    return;
  }
  const poll = Grid.everyTick(refresh);
  document.getElementById("window").addEventListener("change", () => lastClock && refresh(lastClock).catch((e) => Grid.status(e.message, true)));
  document.getElementById("advance").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    const ticks = Number(document.getElementById("advance-by").value);
    button.disabled = true;
    Grid.status(`fast-forwarding ${ticks} ticks…`);
    try {
      const moved = await api("/clock/advance", { method: "POST", body: { ticks } });
      Grid.status(`moved to ${Grid.gridTime(moved.now)}`);
      await poll();
    } catch (error) {
      Grid.status(error.message, true);
    } finally {
      button.disabled = false;
    }
  });
}

start();
