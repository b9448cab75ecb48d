"""The benchmarks' grid: in-process moto as the tests run it, a staff caller, the demo fleet.

Shared by the long jump (`make bench-jump`) and the load run (`make bench`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import localcloud  # noqa: F401 - puts the shared layer on the path, as Lambda mounts it
from benchmarks.posted import PostedTotals
from localcloud import LocalCloud
from smartgrid.simulation.demo import demo_houses, demo_producers

STAFF_TOKEN = "bench-staff-token"
CLOCK_START = datetime(2026, 3, 1, tzinfo=UTC)
DEMO_UTILITIES = 2  # what `make run` loads

Progress = Callable[[int, int], None]  # (done, total)


def start_grid(posted: PostedTotals, parameters: dict[str, str] | None = None) -> LocalCloud:
    """Deterministic (the tests' mode): nothing runs in the background, `drain()` delivers
    until every queue is empty, so what a run measures is the platform's work alone.
    `parameters` override the template's (FrameDelayTicks, say)."""
    cloud = LocalCloud(
        staff_token=STAFF_TOKEN,
        parameters={
            "ClockStart": CLOCK_START.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "LogLevel": "WARNING",
            **(parameters or {}),
        },
    )
    cloud.posted_readings = posted  # the in-process API tallies what the simulators post here
    return cloud.start()


def staff(cloud: LocalCloud, method: str, path: str, body: Any, status: int) -> Any:
    answer = cloud.request(method, path, token=STAFF_TOKEN, json_body=body)
    if answer.status != status:
        raise RuntimeError(f"{method} {path}: {answer.status} {answer.body[:300]!r}")
    return answer.json()


def utility_producers(houses: int, count: int) -> list[dict[str, Any]]:
    """`count` utility producers sharing what the demo's two would produce (the demo's own
    two when count is 2)."""
    demo = demo_producers(houses)
    if count == DEMO_UTILITIES or not demo:
        return demo[:count]
    share = DEMO_UTILITIES / count
    return [
        {
            "name": f"utility {n + 1}",
            "productionLimitW": max(1_000.0, round(demo[0]["productionLimitW"] * share, -2)),
            "productionW": max(100.0, round(demo[0]["productionW"] * share, -2)),
        }
        for n in range(count)
    ]


def create_fleet(
    cloud: LocalCloud,
    houses: int,
    producers: int = DEMO_UTILITIES,
    progress: Progress | None = None,
) -> tuple[list[str], set[str]]:
    """The demo fleet, through the API (each house registered by the real workflow): the
    houses' ids and the utility producers' ids."""
    utilities = {
        staff(cloud, "POST", "/sim/producers", body, 201)["producerId"]
        for body in utility_producers(houses, producers)
    }
    ids = []
    for body in demo_houses(houses):
        ids.append(staff(cloud, "POST", "/sim/houses", body, 201)["houseId"])
        if progress:
            progress(len(ids), houses)
    cloud.drain()
    return ids, utilities
