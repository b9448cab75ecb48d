"""Frames and balance through the local runtime: houses of two communities and utility
producers report tick by tick; every frame closed k ticks late equals the sum of its readings
to the mWh, per community and for the grid, whatever the bus does (every message delivered
twice, the closer run twice for one move, two copies of the frame consumer on one batch);
and production follows consumption: a frame short of production asks for the margin, the
adapter raises setpoints (producing least first) within limits, and reports the shortfall
when the limits cannot cover it.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid import bus
from smartgrid.events import ClientConsumption, Topic
from smartgrid.gridtime import iso, parse_instant
from smartgrid.stores.frames import FramesStore
from tests.conftest import STAFF_TOKEN
from tests.functions.support import TopicProbe
from tests.helpers import Registered, register_house, register_producer

DELAY = 5  # FrameDelayTicks, the template's default
RISE = 7  # the tick the load rises beyond the producers' limits
CLOSER = "ElectricityFrameCloserFunction"


@pytest.fixture
def published(cloud: LocalCloud) -> Iterator[dict[str, TopicProbe]]:
    """Probes on the topics of the balance: what was published during the test."""
    probes = {
        name: TopicProbe(cloud, f"{name}Topic")
        for name in ("ElectricityFrame", "ProductionAdapt", "ReachProductionLimit")
    }
    yield probes
    for probe in probes.values():
        probe.close()


def now(cloud: LocalCloud) -> str:
    return str(cloud.request("GET", "/clock").json()["now"])


def later(instant: str, minutes: int) -> str:
    return iso(parse_instant(instant) + timedelta(minutes=minutes))


def community_of(cloud: LocalCloud, house: Registered) -> str:
    answer = cloud.request("GET", f"/houses/{house.id}", token=house.token)
    assert answer.status == 200, answer.body
    return str(answer.json()["communityId"])


def consume(cloud: LocalCloud, house: Registered, at: str, objects_mwh: dict[str, int]) -> None:
    body = {"timestamp": at, "objects": {name: mwh / 1000 for name, mwh in objects_mwh.items()}}
    answer = cloud.request("POST", f"/houses/{house.id}/consumption", token=house.token, json_body=body)
    assert answer.status == 202, answer.body


def produce(cloud: LocalCloud, producer_id: str, token: str, at: str, mwh: int) -> None:
    body = {"timestamp": at, "wh": mwh / 1000}
    answer = cloud.request("POST", f"/producers/{producer_id}/production", token=token, json_body=body)
    assert answer.status == 202, answer.body


class Grid:
    """Houses in two communities (one of them a local producer) and a utility producer that
    report each tick, and what the frames should hold."""

    def __init__(self, cloud: LocalCloud, lat: float) -> None:
        self.cloud = cloud
        # Two places 100 km apart: three houses near one, two near the other
        self.houses = [register_house(cloud, f"house {n}", lat + 0.001 * n, 10.0) for n in range(3)] + [
            register_house(cloud, f"house {n}", lat + 1.0 + 0.001 * n, 10.0) for n in range(3, 5)
        ]
        # The utility producer is at its limit: it takes no share of other tests' margins
        self.producer = register_producer(cloud, "Nikola", 60)
        cloud.drain()
        self.community = {h.id: community_of(cloud, h) for h in self.houses}
        solar = cloud.request("POST", f"/houses/{self.houses[0].id}/producer", token=self.houses[0].token)
        assert solar.status == 201, solar.body
        self.solar = str(solar.json()["producerId"])
        self.expected: dict[str, dict[str, Any]] = {}

    def report(self, at: str, tick: int) -> None:
        """Every house, the solar roof and the producer report for the tick `at`."""
        frame: dict[str, Any] = {"communities": defaultdict(lambda: [0, 0]), "producers": {}}
        for n, house in enumerate(self.houses):
            objects = {"base": 125 * (n + 1) + tick, "oven": 8333 if (n + tick) % 2 else 0}
            consume(self.cloud, house, at, objects)
            frame["communities"][self.community[house.id]][0] += sum(objects.values())
        solar = 2500 + 7 * tick
        produce(self.cloud, self.solar, self.houses[0].token, at, solar)
        frame["communities"][self.community[self.houses[0].id]][1] += solar
        produce(self.cloud, self.producer.id, self.producer.token, at, 1000)
        frame["producers"][self.producer.id] = 1000
        self.expected[at] = frame

    def check(self, frame: dict[str, Any]) -> None:
        """A published frame holds exactly what was reported for its tick."""
        expected = self.expected[frame["frameStart"]]
        for community, (consumed, produced) in expected["communities"].items():
            assert frame["communities"][community]["consumptionMwh"] == consumed
            assert frame["communities"][community]["houseProductionMwh"] == produced
        assert frame["producers"] == expected["producers"]
        consumed = sum(c for c, _ in expected["communities"].values())
        produced = sum(p for _, p in expected["communities"].values())
        assert frame["grid"] == {
            "consumptionMwh": consumed,
            "productionMwh": produced + 1000,
            "houseProductionMwh": produced,
            "utilityProductionMwh": 1000,
        }


def test_closed_frames_equal_the_sums_of_the_readings(
    cloud: LocalCloud, published: dict[str, TopicProbe]
) -> None:
    # Given houses in two communities, a solar roof and a utility producer
    grid = Grid(cloud, lat=10.0)
    assert len(set(grid.community.values())) == 2
    first = now(cloud)
    # When they report for 3 ticks, and the clock goes on until those frames closed
    for tick in range(3):
        grid.report(now(cloud), tick)
        cloud.tick()
    cloud.tick(DELAY)
    # Then each frame was published once, exact to the mWh per community and for the grid
    frames = [f for f in published["ElectricityFrame"].events() if f["frameStart"] in grid.expected]
    assert sorted(f["frameStart"] for f in frames) == sorted(grid.expected)
    for frame in frames:
        grid.check(frame)
    # And staff read them back in W
    answer = cloud.request("GET", f"/grid/frames?from={first}&to={later(first, 3)}", token=STAFF_TOKEN)
    assert answer.status == 200, answer.body
    read = answer.json()["frames"]
    assert [f["frameStart"] for f in read] == sorted(grid.expected)
    for shown, frame in zip(read, sorted(frames, key=lambda f: f["frameStart"]), strict=True):
        assert shown["grid"]["consumptionW"] == pytest.approx(frame["grid"]["consumptionMwh"] * 60 / 1000)
    assert all(depth == 0 for depth in cloud.dead_letters().values())


def test_every_message_twice_and_the_closer_twice_change_no_frame(
    cloud: LocalCloud, published: dict[str, TopicProbe]
) -> None:
    grid = Grid(cloud, lat=20.0)
    cloud.deliver_twice(1.0)
    try:
        # When every SQS batch is delivered twice at every stage, and the closer is run a
        # second time for every move of the clock
        for tick in range(2 + DELAY):
            if tick < 2:
                grid.report(now(cloud), tick)
            before = now(cloud)
            cloud.tick()
            move = {"previous": before, "now": now(cloud), "ticks": 1, "tickMinutes": 1}
            again = cloud.invoke(CLOSER, clock_event(move))
            assert again["published"] == []
            cloud.drain()
    finally:
        cloud.deliver_twice(0.0)
    # Then every frame went out once, exact; and each frame's adaptation went out once
    assert sum(s.duplicated for s in cloud.sqs_sources) > 0
    frames = [f for f in published["ElectricityFrame"].events() if f["frameStart"] in grid.expected]
    assert sorted(f["frameStart"] for f in frames) == sorted(grid.expected)
    for frame in frames:
        grid.check(frame)
    adapted = [a["frameStart"] for a in published["ProductionAdapt"].events()]
    assert len(adapted) == len(set(adapted)) and set(grid.expected) <= set(adapted)
    reached = [r["frameStart"] for r in published["ReachProductionLimit"].events()]
    assert len(reached) == len(set(reached))
    assert all(depth == 0 for depth in cloud.dead_letters().values())


def clock_event(move: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Clock Advanced",
        "source": "smartgrid.clock",
        "account": "123456789012",
        "time": "2026-03-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": move,
    }


def test_two_copies_of_the_frame_consumer_on_one_batch_count_it_once(cloud: LocalCloud) -> None:
    # Given one batch of 120 readings of four communities for one tick
    at = "2026-04-01T09:00:00Z"
    readings = [
        ClientConsumption(houseId=f"h-twin{n:03d}", communityId=f"c-twin{n % 4}", timestamp=at, mwh=500 + n)
        for n in range(120)
    ]
    (body,) = bus.pack(Topic.CONSUMPTION_CLIENT, readings)
    record = {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "AQEBtwin",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0", "SenderId": "local"},
        "messageAttributes": {"topic": {"stringValue": Topic.CONSUMPTION_CLIENT.value, "dataType": "String"}},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": cloud.provisioned.queue_arns["ElectricityFrameQueue"],
        "awsRegion": "us-east-1",
    }
    results: list[Any] = []
    # When two copies of the function handle it at the same time
    copies = [
        threading.Thread(
            target=lambda: results.append(cloud.invoke("ElectricityFrameFunction", {"Records": [record]}))
        )
        for _ in range(2)
    ]
    for copy in copies:
        copy.start()
    for copy in copies:
        copy.join()
    # Then both succeeded and every community's total counts each reading once
    assert results == [{"batchItemFailures": []}] * 2
    with cloud.locked():
        tick = FramesStore(cloud.provisioned.tables["FramesTable"]).tick(at)
    assert {c: s.consumption for c, s in tick.communities.items()} == {
        f"c-twin{k}": sum(500 + n for n in range(120) if n % 4 == k) for k in range(4)
    }


def test_production_follows_consumption_within_the_limits(
    cloud: LocalCloud, published: dict[str, TopicProbe]
) -> None:
    # Given a community of houses consuming 6000 W, and two producers that follow their
    # setpoints: one producing 1200 W (limit 3000 W), one 2400 W (limit 5000 W)
    houses = [register_house(cloud, f"home {n}", 30.0 + 0.001 * n, 10.0) for n in range(3)]
    least = register_producer(cloud, "least", 3000)
    most = register_producer(cloud, "most", 5000)
    cloud.drain()
    own = {least.id: 20_000, most.id: 40_000}  # mWh a minute: 1200 W, 2400 W

    def setpoint(producer: Registered) -> float | None:
        answer = cloud.request("GET", f"/producers/{producer.id}/setpoint", token=producer.token)
        assert answer.status == 200, answer.body
        value = answer.json()["setpointW"]
        return float(value) if value is not None else None

    first = now(cloud)
    frames: dict[str, dict[str, Any]] = {}
    # When they report tick by tick; from tick RISE on, the houses draw 9600 W
    for tick in range(RISE + DELAY):
        at = now(cloud)
        for house, load in zip(
            houses, (40_000, 30_000, 30_000) if tick < RISE else (60_000, 50_000, 50_000), strict=True
        ):
            consume(cloud, house, at, {"load": load})
        for producer in (least, most):
            asked = setpoint(producer)
            mwh = own[producer.id] if asked is None else round(asked * 1000 / 60)
            produce(cloud, producer.id, producer.token, at, mwh)
        cloud.tick()
    for frame in published["ElectricityFrame"].events():
        frames[frame["frameStart"]] = frame
    adapts = {a["frameStart"]: a for a in published["ProductionAdapt"].events()}
    reached = {r["frameStart"]: r for r in published["ReachProductionLimit"].events()}
    # Then the first frame, produced on the producers' own, asked for 2400 W more
    assert frames[first]["producers"] == {least.id: 20_000, most.id: 40_000}
    assert adapts[first]["marginW"] == 2400.0
    # And the adapter gave 1800 W to the one producing least (up to its 3000 W limit), the
    # other 600 W: from the next tick, frames are balanced within 1 %
    balanced = [frames[later(first, t)] for t in range(DELAY, RISE)]
    assert balanced, "frames produced after the adaptation, before the load rose"
    for frame in balanced:
        assert frame["producers"] == {least.id: 50_000, most.id: 50_000}
        gap = abs(frame["grid"]["consumptionMwh"] - frame["grid"]["productionMwh"])
        assert gap <= 0.01 * frame["grid"]["consumptionMwh"]
        assert frame["frameStart"] not in adapts
    assert not any(later(first, t) in reached for t in range(RISE))
    # And when the load rose beyond what the limits allow, the producers went to their limits
    # and the shortfall was reported
    rise = later(first, RISE)
    assert adapts[rise]["marginW"] == 3600.0
    assert reached[rise] == {"frameStart": rise, "shortfallW": 1600.0}
    assert (setpoint(least), setpoint(most)) == (3000.0, 5000.0)
