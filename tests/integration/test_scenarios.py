"""The seed's scenarios (and story 19's), each played over real sockets against the server that
`make run` starts, as `make scenarios` plays them. A few minutes in all on moto, so marked slow
(`make test-slow`); CI plays the same through `make scenarios`.
"""

from __future__ import annotations

import io
from types import ModuleType

import pytest

from localcloud import LocalCloud
from localcloud.server import GridServer
from scenarios import scenario1, scenario2, scenario3, scenario4
from scenarios.client import Grid, Steps
from tests.conftest import STAFF_TOKEN


@pytest.mark.slow
@pytest.mark.parametrize("scenario", [scenario1, scenario2, scenario3, scenario4], ids=lambda m: m.__name__)
def test_the_scenario_passes_against_a_running_grid(scenario: ModuleType) -> None:
    # Given a fresh grid served as `make run` serves it, on free ports, the clock left to the API
    cloud = LocalCloud(deterministic=False, staff_token=STAFF_TOKEN, parameters={"LogLevel": "ERROR"})
    with GridServer(cloud, port=0, aws_port=0, tick_seconds=0, out=io.StringIO()) as server:
        # When the scenario plays every step over HTTP
        steps = Steps(scenario.TITLE)
        scenario.play(Grid(server.api_url, STAFF_TOKEN), steps)
    # Then every step passed (a failed step raises)
    assert steps.count >= 10
