"""The backbone, as a new user would try it: a house registers, gets a community, posts
readings and reads its daily and per-object consumption; a producer registers with a limit."""

from __future__ import annotations

import sys
from datetime import timedelta

from scenarios.client import Grid, Steps, run
from scenarios.clock import iso, parse

TITLE = "Backbone: registration and ingestion"


def play(grid: Grid, steps: Steps) -> None:
    steps.check("the grid is up", grid.call("GET", "/health"), "200", lambda a: a.status == 200)
    steps.check("read the grid clock", grid.call("GET", "/clock"), "200 with now", lambda a: a.status == 200)
    house = steps.check(
        "POST /houses: Pierre & Marie register",
        grid.call(
            "POST",
            "/houses",
            {
                "name": "Pierre & Marie",
                "location": {"lat": 48.85, "lon": 2.35},
                "acceptedPolicies": ["consumption"],
            },
        ),
        "201 with houseId and token",
        lambda a: a.status == 201 and a.body["houseId"].startswith("h-"),
    ).body
    hid, token = house["houseId"], house["token"]
    joined = steps.wait_for(
        "GET /houses/{id}: the house joined a community",
        lambda: grid.call("GET", f"/houses/{hid}", token=token),
        "200, status active, a communityId",
        lambda a: a.status == 200 and a.body["status"] == "active" and bool(a.body["communityId"]),
    )
    # A house reports from the minute it registered in, never before; two minutes of the same
    # day (so not from 23:59), whatever the time of day the grid's clock shows.
    first = parse(joined.body["registeredAt"]).replace(second=0, microsecond=0)
    if (first + timedelta(minutes=1)).date() != first.date():
        first += timedelta(minutes=1)
    minutes = [iso(first), iso(first + timedelta(minutes=1))]
    day = minutes[0][:10]
    for minute in minutes:
        steps.check(
            f"POST consumption for {minute}",
            grid.call(
                "POST",
                f"/houses/{hid}/consumption",
                {"timestamp": minute, "objects": {"blender": 8.333, "fridge": 1.5}},
                token,
            ),
            "202 accepted",
            lambda a: a.status == 202 and a.body["status"] == "accepted",
        )
    steps.check(
        "the same reading again is a duplicate",
        grid.call(
            "POST",
            f"/houses/{hid}/consumption",
            {"timestamp": minutes[0], "objects": {"blender": 8.333, "fridge": 1.5}},
            token,
        ),
        "202 duplicate",
        lambda a: a.status == 202 and a.body["status"] == "duplicate",
    )
    steps.wait_for(
        "GET the day's consumption, per object",
        lambda: grid.call("GET", f"/houses/{hid}/consumption?date={day}", token=token),
        "19.666 Wh: blender 16.666, fridge 3",
        lambda a: (
            a.status == 200
            and a.body["wh"] == 19.666
            and a.body["objects"] == {"blender": 16.666, "fridge": 3.0}
        ),
    )
    steps.check(
        "another house's token is refused",
        grid.call("GET", f"/houses/{hid}/consumption?date={day}", token="h-000000000000.nope"),
        "401",
        lambda a: a.status == 401,
    )
    steps.check(
        "POST /producers: Nikola registers with a 5,000 W limit",
        grid.call("POST", "/producers", {"name": "Nikola", "productionLimitW": 5000}),
        "201 with producerId",
        lambda a: a.status == 201 and a.body["producerId"].startswith("p-"),
    )
    steps.check(
        "a bad registration names its field",
        grid.call("POST", "/houses", {"name": "", "location": {"lat": 48.85, "lon": 2.35}}),
        "422 naming body.name",
        lambda a: a.status == 422 and a.body["fields"][0]["field"] == "body.name",
    )


if __name__ == "__main__":
    sys.exit(run(play, TITLE))
