"""Scenario 5 (story 21): a malfunction is detected and a technician alerted.

Two houses' meter boxes (the scenario itself, posting each tick's reading as a box would)
report normally; then Marie's falls silent while the neighbours' goes on: after a few ticks
without a reading (N, 3 by default) an open alert names Marie's house, and only hers. The
neighbours' box paces the scenario: each move is read once the detector has heard it (a grid
catching up after a long jump hears late, and judges silence only up to what it has heard).
A technician acknowledges the alert; Marie's box reports again and the alert closes by itself.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from scenarios.client import Answer, Grid, Steps, run
from scenarios.clock import Clock, iso
from scenarios.places import Town

TITLE = "Scenario 5: a malfunction detected, a technician alerted"
SILENT_TICKS = 3  # the detector's default N
CATCH_UP_SECONDS = 300  # after scenario 1's three-month jump, the local grid is busy for a while


def alerts_naming(answer: Answer, house_id: str) -> list[dict[str, Any]]:
    if answer.status != 200 or not isinstance(answer.body, dict):
        return []
    listed = answer.body.get("alerts", [])
    return [a for a in listed if isinstance(a, dict) and house_id in json.dumps(a)]


def alert_id(alert: dict[str, Any]) -> str:
    return str(alert.get("alertId") or alert.get("id"))


class Box:
    """A house's meter box, played by the scenario: it registers the house and reports minutes."""

    def __init__(self, grid: Grid, steps: Steps, name: str, town: Town, n: int) -> None:
        self.grid = grid
        self.name = name
        registered = steps.check(
            f"{name} registers (its meter box will report each tick itself)",
            grid.call(
                "POST", "/houses", {"name": name, "location": town.location(n), "acceptedPolicies": []}
            ),
            "201 with houseId and token",
            lambda a: a.status == 201,
        ).body
        self.house_id, self.token = registered["houseId"], registered["token"]

    def joined(self, steps: Steps) -> str:
        """The community the house joined, once its registration is done."""
        return str(
            steps.wait_for(
                f"{self.name} joins a community",
                lambda: self.grid.staff("GET", f"/houses/{self.house_id}"),
                "200, active, a communityId",
                lambda a: (
                    a.status == 200 and a.body["status"] == "active" and bool(a.body.get("communityId"))
                ),
            ).body["communityId"]
        )

    def report(self, minute: datetime) -> Answer:
        return self.grid.call(
            "POST",
            f"/houses/{self.house_id}/consumption",
            {"timestamp": iso(minute), "objects": {"fridge": 2.5, "lighting": 5.0}},
            self.token,
        )


def heard(grid: Grid, path: str, until: datetime) -> Answer:
    """`GET path` (alerts) once the detector has heard readings up to `until`, or after
    CATCH_UP_SECONDS: a grid busy catching up after a long jump hears late, and judges
    silence only up to what it has heard."""
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while True:
        answer = grid.staff("GET", path)
        if answer.status != 200 or (answer.body.get("heardUntil") or "") >= iso(until):
            return answer
        if time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def play(grid: Grid, steps: Steps) -> None:
    clock = Clock(grid, steps)
    town = Town()
    marie = Box(grid, steps, "Marie's cottage", town, 0)
    community = marie.joined(steps)
    neighbour = Box(grid, steps, "the neighbours' house", town, 1)  # after: it joins Marie's community
    steps.check(
        "the neighbours are in Marie's community",
        Answer(200, {"communityId": neighbour.joined(steps)}, f"GET /houses/{neighbour.house_id}"),
        community,
        lambda a: a.body["communityId"] == community,
    )
    tick = timedelta(minutes=clock.tick_minutes)

    def both_report() -> Answer:
        now = clock.now()
        first = marie.report(now)
        return first if first.status != 202 else neighbour.report(now)

    for _ in range(3):
        steps.check("both boxes report the minute", both_report(), "202", lambda a: a.status == 202)
        clock.advance("a minute passes", ticks=1)
    open_alerts = f"/alerts?status=open&communityId={community}"
    steps.check(
        "no alert while they report, once the detector has heard them",
        heard(grid, open_alerts, clock.now()),
        "200, heardUntil at least now, no open alert naming either house",
        lambda a: (
            a.status == 200
            and not alerts_naming(a, marie.house_id)
            and not alerts_naming(a, neighbour.house_id)
        ),
    )

    def neighbour_reports_then_read() -> Answer:
        # The healthy box paces the scenario: each move is read once the detector has heard it.
        now = clock.now()
        neighbour.report(now)
        return heard(grid, open_alerts, now + tick)

    alert = clock.advance_until(
        "Marie's box falls silent, the neighbours' goes on: an alert is raised",
        neighbour_reports_then_read,
        f"200, an open alert naming Marie's house (not the neighbours') within {SILENT_TICKS + 1} ticks",
        lambda a: bool(alerts_naming(a, marie.house_id)) and not alerts_naming(a, neighbour.house_id),
        max_ticks=SILENT_TICKS + 1,
    )
    found = alerts_naming(alert, marie.house_id)[0]
    steps.check(
        "a technician acknowledges the alert",
        grid.staff("POST", f"/alerts/{alert_id(found)}/ack"),
        "200",
        lambda a: a.status == 200,
    )
    steps.check("Marie's box reports again", marie.report(clock.now()), "202", lambda a: a.status == 202)

    def both_report_then_read() -> Answer:
        # each minute, as boxes in order do (the same minute again is a duplicate)
        now = clock.now()
        marie.report(now)
        neighbour.report(now)
        return heard(grid, open_alerts, now + tick)

    clock.advance_until(
        "the alert closes by itself once the house reports normally",
        both_report_then_read,
        "200, no open alert naming the house",
        lambda a: a.status == 200 and not alerts_naming(a, marie.house_id),
        max_ticks=SILENT_TICKS,
    )


if __name__ == "__main__":
    sys.exit(run(play, TITLE))
