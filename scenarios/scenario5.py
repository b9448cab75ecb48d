"""Scenario 5 (story 21): a malfunction is detected and a technician alerted.

A house's meter box (the scenario itself, posting each tick's reading as the box would) reports
normally, then falls silent: after a few ticks without a reading (N, 3 by default) an open
alert names the house; a technician acknowledges it; the box reports again and the alert
closes by itself.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from scenarios.client import Answer, Grid, Steps, run
from scenarios.clock import Clock, iso
from scenarios.places import Town

TITLE = "Scenario 5: a malfunction detected, a technician alerted"
SILENT_TICKS = 3  # the detector's default N


def alerts_naming(answer: Answer, house_id: str) -> list[dict[str, Any]]:
    if answer.status != 200 or not isinstance(answer.body, dict):
        return []
    listed = answer.body.get("alerts", [])
    return [a for a in listed if isinstance(a, dict) and house_id in json.dumps(a)]


def alert_id(alert: dict[str, Any]) -> str:
    return str(alert.get("alertId") or alert.get("id"))


def play(grid: Grid, steps: Steps) -> None:
    clock = Clock(grid, steps)
    registered = steps.check(
        "a house registers (its meter box will report each tick itself)",
        grid.call(
            "POST",
            "/houses",
            {"name": "Marie's cottage", "location": Town().location(), "acceptedPolicies": []},
        ),
        "201 with houseId and token",
        lambda a: a.status == 201,
    ).body
    hid, token = registered["houseId"], registered["token"]
    community = steps.wait_for(
        "the house joins a community",
        lambda: grid.staff("GET", f"/houses/{hid}"),
        "200, active, a communityId",
        lambda a: a.status == 200 and a.body["status"] == "active" and bool(a.body.get("communityId")),
    ).body["communityId"]

    def report() -> Answer:
        now = clock.now()
        return grid.call(
            "POST",
            f"/houses/{hid}/consumption",
            {"timestamp": iso(now), "objects": {"fridge": 2.5, "lighting": 5.0}},
            token,
        )

    for _ in range(3):
        steps.check("the box reports the minute", report(), "202", lambda a: a.status == 202)
        clock.advance("a minute passes", ticks=1)
    open_alerts = f"/alerts?status=open&communityId={community}"
    steps.check(
        "no alert while it reports",
        grid.staff("GET", open_alerts),
        "200, no open alert naming the house",
        lambda a: a.status == 200 and not alerts_naming(a, hid),
    )
    alert = clock.advance_until(
        "the box falls silent: an alert is raised",
        lambda: grid.staff("GET", open_alerts),
        f"200, an open alert naming the house within {SILENT_TICKS + 1} ticks",
        lambda a: bool(alerts_naming(a, hid)),
        max_ticks=SILENT_TICKS + 3,
    )
    found = alerts_naming(alert, hid)[0]
    steps.check(
        "a technician acknowledges the alert",
        grid.staff("POST", f"/alerts/{alert_id(found)}/ack"),
        "200",
        lambda a: a.status == 200,
    )
    steps.check("the box reports again", report(), "202", lambda a: a.status == 202)

    def report_then_read() -> Answer:
        report()  # each minute, as a box back to normal does (the same minute again is a duplicate)
        return grid.staff("GET", open_alerts)

    clock.advance_until(
        "the alert closes by itself once the house reports normally",
        report_then_read,
        "200, no open alert naming the house",
        lambda a: a.status == 200 and not alerts_naming(a, hid),
        max_ticks=SILENT_TICKS,
    )


if __name__ == "__main__":
    sys.exit(run(play, TITLE))
