"""What scenarios do often over HTTP: simulated houses in a town of their own, frames to read."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from scenarios.client import Answer, Grid, Steps
from scenarios.clock import Clock, iso


class Town:
    """A place far from every other scenario's (and the demo fleet's, in France), so that its
    houses make a community of their own even when played again on the same grid (a community
    takes the houses within CommunityRadiusKm, 10 km, of its first)."""

    def __init__(self) -> None:
        picker = random.SystemRandom()
        self.lat = round(picker.uniform(-45.0, 65.0), 4)
        self.lon = round(picker.uniform(-170.0, 170.0), 4)

    def location(self, n: int = 0) -> dict[str, float]:
        return {"lat": round(self.lat + 0.001 * n, 4), "lon": self.lon}


def add_sim_house(grid: Grid, steps: Steps, clock: Clock, what: str, body: dict[str, Any]) -> dict[str, Any]:
    """A simulated house (its meter box registers it through POST /houses), watched by the clock."""
    house = steps.check(
        what,
        grid.staff("POST", "/sim/houses", body),
        "201 with a houseId",
        lambda a: a.status == 201 and str(a.body["houseId"]).startswith("h-"),
    ).body
    clock.watch(f"/sim/houses/{house['houseId']}")
    return dict(house)


def community_of(grid: Grid, steps: Steps, house_id: str, what: str) -> str:
    answer = steps.wait_for(
        what,
        lambda: grid.staff("GET", f"/houses/{house_id}"),
        "200, status active, a communityId",
        lambda a: a.status == 200 and a.body["status"] == "active" and bool(a.body.get("communityId")),
    )
    return str(answer.body["communityId"])


def last_frame(grid: Grid, clock: Clock) -> Answer:
    """The latest closed frame (of the last 20 minutes) as its own answer, `None` if there is none."""
    now = clock.now()
    answer = grid.staff("GET", f"/grid/frames?from={iso(now - timedelta(minutes=20))}&to={iso(now)}")
    if answer.status == 200:
        frames = answer.body["frames"]
        answer.body = frames[-1] if frames else None
    return answer


def balanced(answer: Answer, tolerance: float = 0.02) -> bool:
    """A frame where production equals consumption (within 2 %: a producer follows by the W)."""
    if answer.status != 200 or not answer.body:
        return False
    totals = answer.body["grid"]
    return totals["consumptionW"] > 0 and bool(
        abs(totals["consumptionW"] - totals["productionW"]) <= tolerance * max(totals["consumptionW"], 100)
    )
