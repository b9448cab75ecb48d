"""production-adapter: limits and actual production tracked per utility producer, each
frame's margin shared as the seed did (producing least first; decreases from the largest),
the shortfall published when every limit is reached, setpoints readable by producers."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid.events import ProductionAdapt, ProductionLimit, ProductionReading, Topic
from smartgrid.stores.adapter import AdapterStore
from smartgrid.stores.setpoints import ProducerSetpoints
from tests.conftest import STAFF_TOKEN, sample_event
from tests.functions.balance_support import carrying
from tests.functions.support import TopicProbe, api_event, call
from tests.helpers import register_producer

FUNCTION = "ProductionAdapterFunction"
API = "ProductionAdapterApiFunction"
DIR = "production_adapter"
Probe = Callable[[str], TopicProbe]
_IDS = itertools.count()
FRAME = "2026-03-07T10:00:00Z"


def setpoints(cloud: LocalCloud) -> ProducerSetpoints:
    return ProducerSetpoints(cloud.provisioned.tables["AdapterTable"])


def store(cloud: LocalCloud) -> AdapterStore:
    return AdapterStore(cloud.provisioned.tables["AdapterTable"])


@pytest.fixture
def adapter_knows_nothing(cloud: LocalCloud) -> None:
    """Given an adapter that knows no producer and adapted no frame yet: a margin is shared
    among every producer the adapter knows, and the tests of this module share one grid."""
    table = store(cloud).table
    with cloud.locked():
        items = table.scan(ProjectionExpression="pk, sk", ConsistentRead=True)["Items"]
        with table.batch_writer() as batch:
            for item in items:
                batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})


def ok(cloud: LocalCloud, event: dict[str, Any]) -> None:
    assert cloud.invoke(FUNCTION, event) == {"batchItemFailures": []}


def producing(cloud: LocalCloud, at: str, limits_and_watts: list[tuple[float, float]]) -> list[str]:
    """New producers with these limits (W), producing these powers (W) in the minute `at`."""
    ids = [f"p-adapt{next(_IDS):04d}" for _ in limits_and_watts]
    limits = [
        ProductionLimit(producerId=p, limitW=lim, timestamp="2026-03-01T00:00:00Z")
        for p, (lim, _) in zip(ids, limits_and_watts, strict=True)
    ]
    readings = [
        ProductionReading(producerId=p, kind="utility", timestamp=at, mwh=round(w * 1000 / 60))
        for p, (_, w) in zip(ids, limits_and_watts, strict=True)
    ]
    ok(cloud, carrying(DIR, "consumer_limits", Topic.PRODUCTION_LIMIT, limits))
    ok(cloud, carrying(DIR, "consumer_production", Topic.PRODUCTION_RAW_GLOBAL, readings))
    return ids


def adapt(frame: str, margin_w: float) -> dict[str, Any]:
    event = ProductionAdapt(
        frameStart=frame, marginW=margin_w, consumptionW=10_000, productionW=10_000 - margin_w
    )
    return carrying(DIR, "consumer_adapt", Topic.PRODUCTION_ADAPT, [event])


@pytest.mark.usefixtures("adapter_knows_nothing")
def test_a_margin_goes_first_to_the_producer_producing_least(cloud: LocalCloud, probe: Probe) -> None:
    reach = probe("ReachProductionLimitTopic")
    # Given two producers (limits 3000 W and 5000 W) producing 1200 W and 2400 W at 10:00
    ok(cloud, sample_event(DIR, "consumer_limits"))
    ok(cloud, sample_event(DIR, "consumer_production"))
    # When the frame of 10:00 asks for 2400 W more
    ok(cloud, sample_event(DIR, "consumer_adapt"))
    # Then the one producing least rose to its limit (+1800 W), the other took the rest (+600 W)
    found = setpoints(cloud)
    assert (found.get("p-0123456789ad"), found.get("p-0123456789ae")) == (3000.0, 3000.0)
    assert reach.events() == []
    # And a producer reads its setpoint over HTTP
    answer = call(cloud, API, sample_event(DIR, "get_setpoint"))
    assert answer.status == 200, answer.body
    assert answer.json() == {"producerId": "p-0123456789ad", "setpointW": 3000.0, "limitW": 3000.0}


@pytest.mark.usefixtures("adapter_knows_nothing")
def test_a_margin_beyond_every_limit_publishes_the_shortfall(cloud: LocalCloud, probe: Probe) -> None:
    reach = probe("ReachProductionLimitTopic")
    ok(cloud, sample_event(DIR, "consumer_limits"))
    ok(cloud, sample_event(DIR, "consumer_production"))
    # When a frame (whose tick they did not report: their last production counts) asks for 9000 W more
    ok(cloud, sample_event(DIR, "consumer_adapt_beyond_limits"))
    # Then both are at their limits, and 4600 W are missing
    found = setpoints(cloud)
    assert (found.get("p-0123456789ad"), found.get("p-0123456789ae")) == (3000.0, 5000.0)
    assert reach.events() == [{"frameStart": "2026-03-05T10:10:00Z", "shortfallW": 4600.0}]


@pytest.mark.usefixtures("adapter_knows_nothing")
def test_a_margin_is_judged_against_its_own_frames_production(cloud: LocalCloud) -> None:
    # Given a producer that produced 1200 W in the frames of 10:00 and 10:01, then 3000 W
    # (obeying a setpoint) at 10:06
    (p,) = producing(cloud, FRAME, [(10_000, 1200)])
    ok(
        cloud,
        carrying(
            DIR,
            "consumer_production",
            Topic.PRODUCTION_RAW_GLOBAL,
            [
                ProductionReading(producerId=p, kind="utility", timestamp="2026-03-07T10:01:00Z", mwh=20_000),
                ProductionReading(producerId=p, kind="utility", timestamp="2026-03-07T10:06:00Z", mwh=50_000),
            ],
        ),
    )
    # When the frames of 10:00 and 10:01, closed before the change, both ask for 1800 W more
    ok(cloud, adapt(FRAME, 1800))
    ok(cloud, adapt("2026-03-07T10:01:00Z", 1800))
    # Then the setpoint is 3000 W, not 4800 W: the margin is not added twice
    assert setpoints(cloud).get(p) == 3000.0


@pytest.mark.usefixtures("adapter_knows_nothing")
def test_an_adaptation_delivered_twice_changes_and_publishes_once(cloud: LocalCloud, probe: Probe) -> None:
    reach = probe("ReachProductionLimitTopic")
    p, q = producing(cloud, FRAME, [(1200, 480), (1200, 840)])
    event = adapt(FRAME, 1200)
    # When the same adaptation is delivered twice
    ok(cloud, event)
    ok(cloud, event)
    # Then setpoints are at the limits and the 120 W shortfall went out once
    assert (setpoints(cloud).get(p), setpoints(cloud).get(q)) == (1200.0, 1200.0)
    assert reach.events() == [{"frameStart": FRAME, "shortfallW": 120.0}]
    record = store(cloud).adaptation(FRAME)
    assert record is not None and record.published


@pytest.mark.usefixtures("adapter_knows_nothing")
def test_an_older_frame_than_the_last_adapted_changes_nothing(cloud: LocalCloud, probe: Probe) -> None:
    reach = probe("ReachProductionLimitTopic")
    (p,) = producing(cloud, FRAME, [(600, 120)])
    ok(cloud, adapt("2026-03-07T10:05:00Z", 120))
    # When an adaptation of an earlier frame arrives late
    ok(cloud, adapt("2026-03-07T10:02:00Z", 5000))
    # Then it changed nothing and published nothing: a newer frame was adapted already
    assert setpoints(cloud).get(p) == 240.0
    assert reach.events() == []
    record = store(cloud).adaptation("2026-03-07T10:02:00Z")
    assert record is not None and record.attributes["stale"] is True


@pytest.mark.usefixtures("adapter_knows_nothing")
def test_a_decrease_starts_with_the_producer_producing_most(cloud: LocalCloud) -> None:
    small, large = producing(cloud, FRAME, [(5000, 1200), (5000, 2400)])
    # When a frame asks for 3000 W less
    ok(cloud, adapt(FRAME, -3000))
    # Then the largest stopped, and the next gave the remaining 600 W
    assert (setpoints(cloud).get(large), setpoints(cloud).get(small)) == (0.0, 600.0)


@pytest.mark.usefixtures("adapter_knows_nothing")
def test_a_lower_limit_brings_a_setpoint_above_it_down(cloud: LocalCloud) -> None:
    (p,) = producing(cloud, FRAME, [(6000, 1200)])
    ok(cloud, adapt(FRAME, 3000))
    assert setpoints(cloud).get(p) == 4200.0
    # When its limit is lowered to 2400 W
    lower = ProductionLimit(producerId=p, limitW=2400, timestamp="2026-03-07T10:06:00Z")
    ok(cloud, carrying(DIR, "consumer_limits", Topic.PRODUCTION_LIMIT, [lower]))
    # Then its setpoint comes down to it; an older limit arriving late changes nothing
    older = ProductionLimit(producerId=p, limitW=9000, timestamp="2026-03-07T10:00:00Z")
    ok(cloud, carrying(DIR, "consumer_limits", Topic.PRODUCTION_LIMIT, [older]))
    control = setpoints(cloud).control(p)
    assert control is not None and (control.setpointW, control.limitW) == (2400.0, 2400.0)


def test_house_production_is_not_steered(cloud: LocalCloud) -> None:
    ok(cloud, sample_event(DIR, "consumer_production"))
    assert "p-h-0123456789ab" not in setpoints(cloud).controls()


def test_a_producer_first_seen_producing_takes_its_limit_from_the_producer_database(
    cloud: LocalCloud,
) -> None:
    # Given a producer registered with a 2500 W limit, whose production.limit was not seen yet
    producer = register_producer(cloud, "Nikola", 2500)
    reading = ProductionReading(producerId=producer.id, kind="utility", timestamp=FRAME, mwh=20_000)
    # When its production arrives
    ok(cloud, carrying(DIR, "consumer_production", Topic.PRODUCTION_RAW_GLOBAL, [reading]))
    # Then the adapter knows its limit and its actual production, and it has no setpoint yet
    control = setpoints(cloud).control(producer.id)
    assert control is not None
    assert (control.limitW, control.actualW, control.setpointW) == (2500.0, 1200.0, None)
    assert setpoints(cloud).get(producer.id) is None and producer.id not in setpoints(cloud).all()


def test_who_reads_a_setpoint(cloud: LocalCloud) -> None:
    producer = register_producer(cloud, "Nikola", 4000)
    other = register_producer(cloud, "Other")
    path = {"producerId": producer.id}
    cases = [
        # (token, status, body)
        (producer.token, 200, {"producerId": producer.id, "setpointW": None, "limitW": 4000.0}),
        (STAFF_TOKEN, 200, {"producerId": producer.id, "setpointW": None, "limitW": 4000.0}),
        (other.token, 403, None),
        (None, 401, None),
    ]
    for token, status, body in cases:
        answer = call(cloud, API, api_event(DIR, "get_setpoint", path=path, token=token))
        assert answer.status == status, answer.body
        if body:
            assert answer.json() == body
    unknown = call(cloud, API, api_event(DIR, "get_setpoint", path={"producerId": "p-000000000000"}))
    assert unknown.status == 404


def test_a_record_that_is_not_a_bus_message_fails_alone(cloud: LocalCloud) -> None:
    event = sample_event(DIR, "consumer_bad_record")
    bad = event["Records"][1]["messageId"]
    assert cloud.invoke(FUNCTION, event) == {"batchItemFailures": [{"itemIdentifier": bad}]}
    control = setpoints(cloud).control("p-0123456789af")
    assert control is not None and control.limitW == 1000.0
