"""The dashboard as a person uses it: Debian's Chromium, driven by Playwright, against the local
grid served over HTTP (as `make run` serves it), its clock moved by the tests.

Charts are checked from the page itself (plotly keeps each chart's traces on its element) and
against the JSON API; screenshots land in artifacts/screenshots/. Skipped without Chromium:
`apt-get install -y chromium` (CI installs it).
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from localcloud import LocalCloud
from localcloud.demo import sim_house_token
from localcloud.server import GridServer
from smartgrid.gridtime import iso, parse_instant
from tests.conftest import ROOT, STAFF_TOKEN
from tests.integration.test_server import call

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install -y chromium"
)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make setup)")

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CLOCK_START = "2026-03-01T11:00:00Z"  # late morning: the sun is up, solar panels produce
SETTLE_SECONDS = 60
PAGE_WAIT_MS = 30_000


class Grid:
    """The local grid on free ports, its clock still (the tests move it), and its API."""

    def __init__(self) -> None:
        self.cloud = LocalCloud(
            deterministic=False,
            staff_token=STAFF_TOKEN,
            parameters={"ClockStart": CLOCK_START, "LogLevel": "ERROR"},
        )
        self.server = GridServer(self.cloud, port=0, aws_port=0, tick_seconds=0, out=io.StringIO())
        self.houses: list[Any] = []  # the simulated houses, as POST /sim/houses answered

    @property
    def url(self) -> str:
        return self.server.api_url

    def api(self, method: str, path: str, body: Any = None, token: str = STAFF_TOKEN) -> Any:
        status, answer = call(method, self.url + path, body, token)
        assert status < 300, (method, path, status, answer)
        return answer

    def settle(self) -> None:
        """Waits until every queue is empty: what the last move started is in every store."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while not self.cloud.settled():
            assert time.monotonic() < deadline, "the grid did not settle"
            time.sleep(0.05)

    def tick(self, ticks: int) -> None:
        """Moves the clock as `make run` does, a tick at a time, each settled before the next."""
        for _ in range(ticks):
            self.server.tick()
            self.cloud.drain()  # here rather than by the server's pollers, which back off when idle


def sim_house(grid: Grid, n: int, lat: float, lon: float, *extra: dict[str, Any]) -> Any:
    objects = [
        {"name": "heating", "kind": "base", "powerW": 900 + 100 * n},
        {"name": "appliances", "kind": "appliance", "powerW": 1500, "profile": "household"},
        *extra,
    ]
    body = {"name": f"house {n}", "location": {"lat": lat, "lon": lon}, "objects": objects}
    return grid.api("POST", "/sim/houses", body)


@pytest.fixture(scope="module")
def grid() -> Iterator[Grid]:
    # Given a grid of two communities (three houses in Lyon, one in Grenoble), one house with
    # solar panels, a producer far from its limit and one near it, eight minutes of life
    grid = Grid()
    grid.server.start()
    try:
        # (a grid short of production asks more of the producer producing least: Rhone hydro)
        grid.api(
            "POST", "/sim/producers", {"name": "Rhone hydro", "productionW": 100, "productionLimitW": 30000}
        )
        grid.api(
            "POST", "/sim/producers", {"name": "Bugey thermal", "productionW": 1400, "productionLimitW": 1500}
        )
        solar = {"name": "solar panels", "kind": "producer", "powerW": 3000, "profile": "solar"}
        grid.houses = [
            sim_house(grid, 0, 45.760, 4.840, solar),
            sim_house(grid, 1, 45.762, 4.846),
            sim_house(grid, 2, 45.757, 4.835),
            sim_house(grid, 3, 45.188, 5.725),
        ]
        grid.settle()
        grid.tick(8)
        yield grid
    finally:
        grid.server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Page:
    """A browser tab on the dashboard, with the errors it met (scripts, refused policies)."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: (
                self.errors.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )

    def open(self, url: str) -> Page:
        self.page.goto(url)
        return self

    def drawn(self) -> str:
        """Waits for the page's first drawing; the grid time it drew."""
        self.page.wait_for_selector("body[data-refreshed-at]", timeout=PAGE_WAIT_MS)
        return str(self.page.get_attribute("body", "data-refreshed-at"))

    def charts(self) -> dict[str, list[dict[str, Any]]]:
        """Every plotly chart of the page: its traces' names, x and y, as plotly holds them."""
        return dict(
            self.page.evaluate(
                """() => Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')].map(
                    (chart) => [chart.id, chart.data.map((t) => ({name: t.name, x: t.x, y: t.y, text: t.text}))]))"""
            )
        )

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Page]:
    page = Page(browser)
    yield page
    assert page.errors == []
    page.close()


def trace(charts: dict[str, list[dict[str, Any]]], chart: str, name: str) -> dict[str, Any]:
    return next(t for t in charts[chart] if t["name"] == name)


def test_the_operator_dashboard_draws_the_grid_live(grid: Grid, tab: Page) -> None:
    # When staff open the dashboard with their token in the fragment
    tab.open(f"{grid.url}/dashboard#token={STAFF_TOKEN}")
    now = tab.drawn()
    # Then the token is out of the address bar
    assert "token" not in tab.page.url
    # And the grid chart holds every closed frame of the last 3 hours, as the API gives them
    hours_ago = iso(parse_instant(now) - timedelta(hours=3))
    frames = grid.api("GET", f"/grid/frames?from={hours_ago}&to={now}")["frames"]
    assert len(frames) >= 4
    charts = tab.charts()
    consumption = trace(charts, "grid-chart", "grid consumption")
    assert consumption["x"] == [f["frameStart"] for f in frames]
    assert consumption["y"] == [f["grid"]["consumptionW"] for f in frames]
    assert trace(charts, "grid-chart", "grid production")["y"] == [f["grid"]["productionW"] for f in frames]
    communities = grid.api("GET", "/communities")["communities"]
    assert len(communities) == 2
    per_community = [
        t for t in charts["grid-chart"] if t["name"].endswith(" consumption") and t["name"][0] == "c"
    ]
    assert len(per_community) == 2 and all(len(t["x"]) == len(frames) for t in per_community)
    # And the balance is production less consumption, frame by frame
    balance = [f["grid"]["productionW"] - f["grid"]["consumptionW"] for f in frames]
    assert trace(charts, "balance-chart", "balance")["y"] == pytest.approx(balance)
    # And the four houses are on the map, coloured by community (3 and 1)
    sizes = sorted(len(t["x"]) for t in charts["map-chart"] if t["name"] != "community anchors")
    assert sizes == [1, 3]
    # And the producer at 93 % of its limit is named as near it, the other is not
    near = tab.page.inner_text("#producers-near")
    assert "Bugey thermal" in near and "Rhone hydro" not in near
    assert sorted(trace(charts, "producers-chart", "limit")["x"]) == [1500, 30000]
    # And the communities table has a row per community, with its houses
    rows = tab.page.locator("#communities tbody tr")
    assert rows.count() == 2
    assert sorted(rows.nth(i).locator("td").nth(1).inner_text() for i in range(2)) == ["1", "3"]
    tab.screenshot("operator-dashboard")


def test_a_peak_appears_on_the_chart_with_what_was_shed(grid: Grid, tab: Page) -> None:
    # Given the Lyon community's threshold lowered under what it draws
    lyon = grid.api("GET", f"/houses/{grid.houses[0]['houseId']}")["communityId"]
    grid.api("PUT", f"/communities/{lyon}/peak-threshold", {"thresholdW": 1500})
    tab.open(f"{grid.url}/dashboard#token={STAFF_TOKEN}")
    before = tab.drawn()
    assert trace(tab.charts(), "grid-chart", "peaks")["x"] == []
    # When staff fast-forward the clock from the page, a tick at a time, twice (each move closes
    # the frame of 5 ticks before, judged against the new threshold, and sheds its peak)
    tab.page.select_option("#advance-by", "1")
    for _ in range(2):
        tab.page.click("#advance")
        tab.page.wait_for_selector("#advance:enabled", timeout=PAGE_WAIT_MS)
        grid.settle()
    # Then the page redraws on its own, with the community's peaks marked on the chart
    peaks = grid.api("GET", f"/communities/{lyon}/peaks")["peaks"]
    assert peaks, "the lowered threshold made no peak"
    deadline = time.monotonic() + 30
    while len(trace(tab.charts(), "grid-chart", "peaks")["x"]) < len(peaks):
        assert time.monotonic() < deadline, "the peaks never appeared"
        tab.page.wait_for_timeout(500)
    marked = trace(tab.charts(), "grid-chart", "peaks")
    assert marked["x"] == [p["frameStart"] for p in peaks]
    assert marked["y"] == [p["valueW"] for p in peaks]
    assert all(text.startswith(f"{lyon[:8]}: peak ") for text in marked["text"])
    shed = [p for p in peaks if p["shed"]]
    assert shed and all("shed " in text for text in marked["text"][-len(shed) :])
    assert tab.page.get_attribute("body", "data-refreshed-at") > before
    assert tab.page.inner_text("#kpi-peaks") == str(len(peaks))
    # (the screenshot shows the last peak's label, as hovering it does)
    tab.page.evaluate(
        """() => { const chart = document.getElementById('grid-chart');
        const peaks = chart.data.findIndex((t) => t.name === 'peaks');
        Plotly.Fx.hover(chart, [{curveNumber: peaks, pointNumber: chart.data[peaks].x.length - 1}]); }"""
    )
    tab.screenshot("operator-dashboard-peak")


def test_the_household_page_shows_the_right_bill(grid: Grid, tab: Page) -> None:
    # Given the house with solar panels, and its own token (its smart box keeps it)
    house = grid.houses[0]
    token = sim_house_token(grid.cloud, house["houseId"])
    # When its household opens its page
    tab.open(f"{grid.url}/dashboard/house#house={house['houseId']}&token={quote(token)}")
    now = tab.drawn()
    # Then the month's bill so far and its projection are the grid's
    bill = grid.api("GET", f"/houses/{house['houseId']}/bills/current", token=token)
    so_far = tab.page.locator("#bill-so-far")
    assert so_far.get_attribute("data-total") == bill["total"]
    total = float(bill["total"])
    assert so_far.inner_text() == f"{'-' if total < 0 else ''}€{abs(total):.2f}"
    assert tab.page.get_attribute("#bill-projection", "data-total") == bill["projection"]["total"]
    assert bill["boughtWh"] + bill["soldWh"] > 0
    # And today's consumption is drawn object by object, with the production, tick by tick
    today = grid.api("GET", f"/houses/{house['houseId']}/consumption?date={now[:10]}", token=token)
    charts = tab.charts()
    drawn = {t["name"]: t for t in charts["objects-chart"]}
    assert set(drawn) == {*today["objects"], "production"}
    heating = grid.api(
        "GET", f"/houses/{house['houseId']}/consumption/objects/heating?date={now[:10]}", token=token
    )
    assert drawn["heating"]["y"] == pytest.approx([r["wh"] * 60 for r in heating["readings"]])
    assert max(drawn["production"]["y"]) > 0
    # And the objects are ranked by what they used today
    ranking = trace(charts, "ranking-chart", "today")
    assert ranking["y"] == sorted(today["objects"], key=today["objects"].get)
    assert tab.page.inner_text("#house-name") == house["name"]
    assert tab.page.inner_text("#kpi-battery") == "no battery"
    tab.screenshot("household-page")


def test_without_a_token_the_page_asks_for_one_and_refuses_a_wrong_one(grid: Grid, tab: Page) -> None:
    # When staff open the dashboard without a token
    tab.open(f"{grid.url}/dashboard")
    # Then it asks for one; a wrong one is refused, saying so
    tab.page.wait_for_selector("#token-form:visible", timeout=PAGE_WAIT_MS)
    tab.page.fill("#token-input", "not-the-token")
    tab.page.click("#token-form button")
    tab.page.wait_for_selector("#token-message:has-text('refused')", timeout=PAGE_WAIT_MS)
    # And the right one opens the dashboard
    tab.page.fill("#token-input", STAFF_TOKEN)
    tab.page.click("#token-form button")
    tab.drawn()
    assert tab.page.is_hidden("#token-form")
