"""producers: staff set up simulated utility producers (registered through the grid's own API);
on every move of the clock each reports its production: its setpoint from the
production-adapter when it has one, else its own production, never above its limit."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from localcloud import LocalCloud
from tests.conftest import STAFF_TOKEN, item_count, sample_event
from tests.functions.support import TopicProbe, api_event, call

FUNCTION = "ProducersFunction"
REPORT = "ProducersReportFunction"
DIR = "producers"
Probe = Callable[[str], TopicProbe]


def create(cloud: LocalCloud, body: dict[str, Any] | None = None) -> dict[str, Any]:
    event = api_event(DIR, "post_producer") if body is None else api_event(DIR, "post_producer", body=body)
    answer = call(cloud, FUNCTION, event)
    assert answer.status == 201, answer.body
    return dict(answer.json())


def move(previous: str, ticks: int) -> dict[str, Any]:
    event = copy.deepcopy(sample_event(DIR, "report"))
    now = datetime.fromisoformat(previous.replace("Z", "+00:00")) + timedelta(minutes=ticks)
    event["detail"] = {
        "previous": previous,
        "now": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ticks": ticks,
        "tickMinutes": 1,
    }
    return event


def set_setpoint(cloud: LocalCloud, producer_id: str, watts: float) -> None:
    """What the production-adapter would have decided (its table, as smartgrid.stores.setpoints reads it)."""
    with cloud.locked():
        cloud.clients.dynamodb.put_item(
            TableName=cloud.provisioned.tables["AdapterTable"],
            Item={"pk": {"S": "PRODUCERS"}, "sk": {"S": producer_id}, "setpointW": {"N": str(watts)}},
        )


def production_of_day(cloud: LocalCloud, producer_id: str, day: str) -> float:
    answer = cloud.request("GET", f"/producers/{producer_id}/production?date={day}", token=STAFF_TOKEN)
    assert answer.status == 200, answer.body
    return float(answer.json()["wh"])


def test_staff_create_a_producer_that_registers_through_the_api(cloud: LocalCloud, probe: Probe) -> None:
    # Given a listener on production.limit
    limits = probe("ProductionLimitTopic")
    clock = cloud.request("GET", "/clock").json()["now"]
    # When staff create the sample producer (limit 5,000 W, producing 1,000 W)
    producer = create(cloud)
    # Then it is a utility producer of the grid, whose limit was announced
    registered = cloud.request("GET", f"/producers/{producer['producerId']}", token=STAFF_TOKEN).json()
    assert (registered["name"], registered["kind"], registered["productionLimitW"]) == (
        "Nikola",
        "utility",
        5000.0,
    )
    assert [e["producerId"] for e in limits.events()] == [producer["producerId"]]
    # And the simulator reports from the grid's time on, at its own production
    assert producer == {
        "producerId": producer["producerId"],
        "name": "Nikola",
        "productionLimitW": 5000.0,
        "productionW": 1000.0,
        "setpointW": None,
        "actualW": None,
        "reportedUntil": clock,
        "lastReading": None,
    }


def test_the_initial_production_defaults_to_a_thousand_watts(cloud: LocalCloud) -> None:
    assert create(cloud, {"name": "Tesla"})["productionW"] == 1000.0
    assert create(cloud, {"name": "Tesla"})["productionLimitW"] == 10_000.0


@pytest.mark.parametrize(
    ("case", "body", "status", "field"),
    [
        ("post_producer_negative_limit", None, 422, "body.productionLimitW"),
        ("post_producer", {"name": "N", "productionW": -1}, 422, "body.productionW"),
        ("post_producer", {"name": ""}, 422, "body.name"),
    ],
)
def test_a_refused_creation_registers_nothing(
    cloud: LocalCloud, case: str, body: Any, status: int, field: str
) -> None:
    before = (item_count(cloud, "ProducersTable"), item_count(cloud, "SimProducersTable"))
    event = api_event(DIR, case) if body is None else api_event(DIR, case, body=body)
    answer = call(cloud, FUNCTION, event)
    assert answer.status == status, answer.body
    assert field in answer.error_fields(), answer.body
    assert (item_count(cloud, "ProducersTable"), item_count(cloud, "SimProducersTable")) == before


def test_staff_read_a_producer_and_an_unknown_one_is_not_found(cloud: LocalCloud) -> None:
    producer = create(cloud)
    answer = call(
        cloud, FUNCTION, api_event(DIR, "get_producer", path={"producerId": producer["producerId"]})
    )
    assert answer.status == 200 and answer.json() == producer
    assert call(cloud, FUNCTION, api_event(DIR, "get_producer")).status == 404
    no_token = call(cloud, FUNCTION, api_event(DIR, "get_producer", token=None))
    assert no_token.status == 401


def test_a_new_limit_goes_to_the_grid_too(cloud: LocalCloud, probe: Probe) -> None:
    # Given a producer and a listener on production.limit
    producer = create(cloud)
    limits = probe("ProductionLimitTopic")
    # When staff lower its limit to 3,000 W, then change its own production
    path = {"producerId": producer["producerId"]}
    changed = call(cloud, FUNCTION, api_event(DIR, "patch_producer", path=path))
    produced = call(cloud, FUNCTION, api_event(DIR, "patch_producer_production", path=path))
    # Then the simulator and the grid both know the limit, and it was announced once
    assert changed.status == produced.status == 200, (changed.body, produced.body)
    assert (produced.json()["productionLimitW"], produced.json()["productionW"]) == (3000.0, 2500.0)
    grid = cloud.request("GET", f"/producers/{producer['producerId']}", token=STAFF_TOKEN).json()
    assert grid["productionLimitW"] == 3000.0
    assert [e["limitW"] for e in limits.events()] == [3000.0]


def test_each_producer_reports_its_production_each_tick(cloud: LocalCloud) -> None:
    # Given a producer at 1,000 W with no setpoint yet
    producer = create(cloud)
    start = producer["reportedUntil"]
    day = start[:10]
    before = production_of_day(cloud, producer["producerId"], day)
    # When the clock moves two ticks
    summary = cloud.invoke(REPORT, move(start, 2))
    cloud.drain()
    # Then it produced 1,000 W for two ticks, and says so
    assert summary["refused"] == 0
    assert production_of_day(cloud, producer["producerId"], day) == pytest.approx(before + 2 * 16.667)
    after = call(cloud, FUNCTION, api_event(DIR, "get_producer", path={"producerId": producer["producerId"]}))
    assert after.json()["actualW"] == 1000.0 and after.json()["lastReading"]["wh"] == 16.667
    # And a second delivery of the same event posts nothing
    assert cloud.invoke(REPORT, move(start, 2))["readings"] == 0


def test_production_follows_the_setpoint_within_the_limit(cloud: LocalCloud) -> None:
    # Given a producer limited to 5,000 W, asked by the adapter for 3,000 W
    producer = create(cloud)
    pid, start = producer["producerId"], producer["reportedUntil"]
    set_setpoint(cloud, pid, 3000)
    # When the clock moves a tick, it produces 3,000 W
    cloud.invoke(REPORT, move(start, 1))
    view = call(cloud, FUNCTION, api_event(DIR, "get_producer", path={"producerId": pid})).json()
    assert (view["setpointW"], view["actualW"], view["lastReading"]["wh"]) == (3000.0, 3000.0, 50.0)
    # When the adapter asks for more than its limit, it produces its limit
    set_setpoint(cloud, pid, 8000)
    cloud.invoke(REPORT, move(move(start, 1)["detail"]["now"], 1))
    view = call(cloud, FUNCTION, api_event(DIR, "get_producer", path={"producerId": pid})).json()
    assert (view["setpointW"], view["actualW"], view["lastReading"]["wh"]) == (8000.0, 5000.0, 83.333)
    cloud.drain()


def test_a_jump_is_reported_in_hourly_readings(cloud: LocalCloud) -> None:
    producer = create(cloud, {"name": "Hydro", "productionW": 2000})
    start = producer["reportedUntil"]
    event = copy.deepcopy(sample_event(DIR, "report_jump"))
    event["detail"] = move(start, 120)["detail"]
    cloud.invoke(REPORT, event)
    view = call(cloud, FUNCTION, api_event(DIR, "get_producer", path={"producerId": producer["producerId"]}))
    assert view.json()["lastReading"]["durationMinutes"] == 60 and view.json()["lastReading"]["wh"] == 2000.0
    cloud.drain()


def test_a_move_without_its_detail_is_an_error(cloud: LocalCloud) -> None:
    with pytest.raises(ValueError):
        cloud.invoke(REPORT, sample_event(DIR, "report_bad_detail"))
