// What both pages share: the token, calls to the grid's JSON API, polling the clock, formats.
"use strict";

const Grid = (() => {
  const TOKEN_KEY = "smartgrid.token";
  const HOUSE_KEY = "smartgrid.house";
  // The API is where the page is, less /dashboard...: works under a stage prefix (/dev) too.
  const apiBase = location.pathname.replace(/\/dashboard(\/.*)?$/, "");

  // The fragment (#token=...&house=...) is never sent to the server: take it, keep it for the
  // tab's life (sessionStorage), and clear it from the address bar.
  function takeFragment() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.get("token")) sessionStorage.setItem(TOKEN_KEY, fragment.get("token"));
    if (fragment.get("house")) sessionStorage.setItem(HOUSE_KEY, fragment.get("house"));
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  }

  const token = () => sessionStorage.getItem(TOKEN_KEY) || "";
  const houseId = () => sessionStorage.getItem(HOUSE_KEY) || "";

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }

  async function api(path, { method = "GET", body } = {}) {
    const headers = { Authorization: `Bearer ${token()}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(apiBase + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, answer);
    return answer;
  }

  // A token form, shown when there is no token or the grid refused it.
  function askToken(message, { withHouse = false } = {}) {
    const form = document.getElementById("token-form");
    form.hidden = false;
    document.getElementById("token-message").textContent = message;
    const house = document.getElementById("house-input");
    if (house) house.parentElement.hidden = !withHouse;
    form.onsubmit = (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, document.getElementById("token-input").value.trim());
      if (house && house.value.trim()) sessionStorage.setItem(HOUSE_KEY, house.value.trim());
      location.reload();
    };
  }

  // Polls the grid clock; `onTick(clock)` runs when it moved (and once at first), never twice at
  // once: a slow refresh makes the page skip ticks, not pile requests up. A paused clock still
  // redraws now and then: what a move started (frames, peaks) lands after the move.
  function everyTick(onTick, { seconds = 2, staleSeconds = 5 } = {}) {
    let seen = null;
    let drawnAt = 0;
    let busy = false;
    async function poll() {
      if (busy) return;
      busy = true;
      try {
        const clock = await api("/clock");
        if (clock.now !== seen || Date.now() - drawnAt > staleSeconds * 1000) {
          await onTick(clock);
          seen = clock.now;
          drawnAt = Date.now();
        }
        status("");
      } catch (error) {
        status(error.message, true);
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
          clearInterval(timer);
          askToken(`The grid refused the token: ${error.message}`, { withHouse: !!houseIdInput() });
        }
      } finally {
        busy = false;
      }
    }
    const timer = setInterval(poll, seconds * 1000);
    poll();
    return poll;
  }

  const houseIdInput = () => document.getElementById("house-input");

  function status(message, isError = false) {
    const element = document.getElementById("status");
    if (!element) return;
    element.textContent = message || `live · refreshed ${new Date().toLocaleTimeString()}`;
    element.classList.toggle("error", isError);
  }

  // Formats -------------------------------------------------------------------------------
  const number = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });
  const watts = (w) => (Math.abs(w) >= 10000 ? `${(w / 1000).toFixed(1)} kW` : `${number.format(w)} W`);
  const kwh = (wh) => `${(wh / 1000).toFixed(wh >= 100000 ? 0 : 2)} kWh`;
  const euros = (amount, currency = "EUR") =>
    new Intl.NumberFormat("en-GB", { style: "currency", currency }).format(Number(amount));
  const percent = (value) => `${Number(value).toFixed(1)} %`;
  const gridTime = (iso) => iso.replace("T", " ").replace(/:00Z$/, " UTC").replace(/Z$/, " UTC");
  const clockTime = (iso) => iso.slice(11, 16);
  const isoAt = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  const day = (iso) => iso.slice(0, 10);

  // A table's body from rows of cells (text, or {text, className}).
  function fillTable(tbody, rows, emptyText) {
    tbody.replaceChildren();
    if (!rows.length) {
      const row = tbody.insertRow();
      const cell = row.insertCell();
      cell.colSpan = tbody.closest("table").querySelectorAll("th").length;
      cell.textContent = emptyText;
      cell.className = "empty";
      return;
    }
    for (const cells of rows) {
      const row = tbody.insertRow();
      for (const value of cells) {
        const cell = row.insertCell();
        if (value && typeof value === "object") {
          cell.textContent = value.text;
          cell.className = value.className || "";
        } else {
          cell.textContent = value;
        }
      }
    }
  }

  // A list of {title, text, className} items.
  function fillList(list, items, emptyText) {
    list.replaceChildren();
    for (const item of items.length ? items : [{ text: emptyText, className: "empty" }]) {
      const entry = document.createElement("li");
      entry.className = item.className || "";
      if (item.title) {
        const title = document.createElement("strong");
        title.textContent = item.title;
        entry.append(title, " ");
      }
      entry.append(item.text);
      list.append(entry);
    }
  }

  const setText = (id, text, className) => {
    const element = document.getElementById(id);
    element.textContent = text;
    if (className !== undefined) element.className = className;
  };

  // Plotly, the same way on every chart: redrawn in place, no logo, resized with the page.
  const CHART_CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  const BASE_LAYOUT = {
    margin: { l: 60, r: 20, t: 10, b: 40 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, sans-serif", size: 12 },
    legend: { orientation: "h", y: -0.15, yanchor: "top" },
    hovermode: "closest",
  };
  const draw = (id, traces, layout = {}) =>
    Plotly.react(id, traces, { ...BASE_LAYOUT, ...layout }, CHART_CONFIG);

  return {
    takeFragment, token, houseId, api, ApiError, askToken, everyTick, status,
    watts, kwh, euros, percent, gridTime, clockTime, isoAt, day, fillTable, fillList, setText, draw,
  };
})();
