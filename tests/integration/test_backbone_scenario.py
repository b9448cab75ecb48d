"""The backbone scenario, played over real sockets against the server that `make run` starts."""

from __future__ import annotations

import io

from localcloud import LocalCloud
from localcloud.server import GridServer
from scenarios import backbone
from scenarios.client import Grid, Steps
from tests.conftest import CLOCK_START, STAFF_TOKEN


def test_the_backbone_scenario_passes_against_a_running_grid() -> None:
    # Given the grid served as `make run` serves it, on free ports, the clock left to the API
    cloud = LocalCloud(
        deterministic=False,
        staff_token=STAFF_TOKEN,
        parameters={"ClockStart": CLOCK_START, "LogLevel": "WARNING"},
    )
    with GridServer(cloud, port=0, aws_port=0, tick_seconds=0, out=io.StringIO()) as server:
        # When the scenario plays every step over HTTP
        steps = Steps("backbone")
        backbone.play(Grid(server.api_url, STAFF_TOKEN), steps)
    # Then every step passed (a failed step raises)
    assert steps.count >= 10
