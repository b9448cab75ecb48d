"""Ingestion end to end: readings through the providers, the bus and every consumer, read back.

Totals are exact whatever the bus does: a message delivered twice, a handler that crashes
half-way through its writes and sees the batch again, a reading posted twice.
"""

from __future__ import annotations

from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid.stores import slots, tally
from tests.conftest import STAFF_TOKEN
from tests.helpers import Registered, register_house, register_producer

DAY = "2026-03-02"


def post(cloud: LocalCloud, house: Registered, minute: int, objects: dict[str, float], day: str = DAY) -> Any:
    timestamp = f"{day}T{minute // 60:02d}:{minute % 60:02d}:00Z"
    return cloud.request(
        "POST",
        f"/houses/{house.id}/consumption",
        token=house.token,
        json_body={"timestamp": timestamp, "objects": objects},
    )


def consumption(cloud: LocalCloud, house: Registered, query: str) -> Any:
    answer = cloud.request("GET", f"/houses/{house.id}/consumption?{query}", token=house.token)
    assert answer.status == 200, answer.body
    return answer.json()


def test_a_house_reads_its_daily_and_per_object_consumption(cloud: LocalCloud) -> None:
    # Given a house that posts three minutes of readings, and a head-end batch for a fourth
    house = register_house(cloud)
    for minute, blender in ((600, 8.333), (601, 8.333), (602, 0)):
        assert post(cloud, house, minute, {"blender": blender, "fridge": 1.5}).status == 202
    batch = {
        "consumption": [
            {"houseId": house.id, "timestamp": f"{DAY}T10:03:00Z", "objects": {"fridge": 1.5, "oven": 40}}
        ]
    }
    assert cloud.request("POST", "/readings", token=STAFF_TOKEN, json_body=batch).json()["accepted"] == 1
    # When the bus has delivered everything
    cloud.drain()
    # Then the day's total and each object's share are exact, largest first
    day = consumption(cloud, house, f"date={DAY}")
    assert day["wh"] == pytest.approx(8.333 * 2 + 1.5 * 4 + 40, abs=1e-9)
    assert list(day["objects"]) == ["oven", "blender", "fridge"]
    assert day["objects"] == {"oven": 40.0, "blender": 16.666, "fridge": 6.0}
    # And the blender's own readings are there, tick by tick
    blender = cloud.request(
        "GET", f"/houses/{house.id}/consumption/objects/blender?date={DAY}", token=house.token
    ).json()
    assert [(r["timestamp"], r["wh"]) for r in blender["readings"]] == [
        (f"{DAY}T10:00:00Z", 8.333),
        (f"{DAY}T10:01:00Z", 8.333),
        (f"{DAY}T10:02:00Z", 0.0),
    ]
    # And a period shows each day
    period = consumption(cloud, house, "from=2026-03-01&to=2026-03-03")
    assert [d["wh"] for d in period["days"]] == [0.0, day["wh"], 0.0]
    assert period["wh"] == day["wh"] and period["from"] == "2026-03-01"


def test_coarse_readings_cover_long_jumps(cloud: LocalCloud) -> None:
    # Given a house that reports a whole hour, then a whole day, in single readings
    house = register_house(cloud)
    hour = {"timestamp": f"{DAY}T00:00:00Z", "durationMinutes": 60, "objects": {"heater": 1000}}
    whole_day = {"timestamp": "2026-03-03T00:00:00Z", "durationMinutes": 1440, "objects": {"heater": 24000}}
    for body in (hour, whole_day):
        assert (
            cloud.request("POST", f"/houses/{house.id}/consumption", token=house.token, json_body=body).status
            == 202
        )
    cloud.drain()
    # Then each counts once, on its day
    assert [d["wh"] for d in consumption(cloud, house, f"from={DAY}&to=2026-03-03")["days"]] == [
        1000.0,
        24000.0,
    ]
    # And a reading that would cross midnight is refused, naming the field
    crossing = {"timestamp": f"{DAY}T23:30:00Z", "durationMinutes": 60, "objects": {"heater": 1}}
    refused = cloud.request("POST", f"/houses/{house.id}/consumption", token=house.token, json_body=crossing)
    assert refused.status == 422 and refused.json()["fields"][0]["field"] == "body.durationMinutes"


def test_the_same_reading_twice_counts_once_and_a_different_one_is_refused(cloud: LocalCloud) -> None:
    house = register_house(cloud)
    # When a house posts the same reading twice, then a different one for the same tick
    first = post(cloud, house, 720, {"kettle": 30})
    again = post(cloud, house, 720, {"kettle": 30})
    different = post(cloud, house, 720, {"kettle": 31})
    cloud.drain()
    # Then it is accepted, a duplicate, and a conflict; the total counts it once
    assert (first.status, first.json()["status"]) == (202, "accepted")
    assert (again.status, again.json()["status"]) == (202, "duplicate")
    assert different.status == 409
    assert consumption(cloud, house, f"date={DAY}")["wh"] == 30.0


def test_every_message_delivered_twice_changes_no_total(cloud: LocalCloud) -> None:
    # Given readings from several houses on the bus, not yet consumed
    houses = [register_house(cloud, f"house {n}") for n in range(4)]
    cloud.drain()
    for n, house in enumerate(houses):
        for minute in range(5):
            post(cloud, house, 800 + minute, {"lamp": 1.25 * (n + 1), "tv": 2})
    # When SQS delivers every batch twice, at every stage of the pipeline
    cloud.deliver_twice(1.0)
    try:
        cloud.drain()
    finally:
        cloud.deliver_twice(0.0)
    # Then every total is what was sent, once
    assert sum(source.duplicated for source in cloud.sqs_sources) >= 4 * 5 * 4
    for n, house in enumerate(houses):
        day = consumption(cloud, house, f"date={DAY}")
        assert day["objects"] == {"lamp": 1.25 * (n + 1) * 5, "tv": 10.0}
        assert day["wh"] == 1.25 * (n + 1) * 5 + 10
    assert all(depth == 0 for depth in cloud.dead_letters().values())


def test_a_handler_crashing_half_way_loses_and_doubles_nothing(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given stores that crash after their first write call, once for each writer
    house = register_house(cloud)
    producer = register_producer(cloud)
    real = slots.transact_idempotent
    crashed: set[str] = set()

    def crash_after_first_write(actions: list[dict[str, Any]], retries: int = slots.RETRIES) -> None:
        real(actions, retries)
        table_name = actions[0]["Update"]["TableName"]
        if table_name not in crashed:
            crashed.add(table_name)
            raise ConnectionError("the function died after a partial write")

    monkeypatch.setattr(slots, "TRANSACTION_ITEMS", 1)  # one item per write call: many calls a batch
    monkeypatch.setattr(slots, "transact_idempotent", crash_after_first_write)
    # and the tallied stores (daily totals) likewise, after their first transaction
    real_chunk = tally.Tally._apply_chunk

    def crash_after_first_transaction(
        counter: tally.Tally, chunk: list[tally.Contribution]
    ) -> list[tally.Contribution]:
        applied = real_chunk(counter, chunk)
        if chunk and chunk[0].marker.table not in crashed:
            crashed.add(chunk[0].marker.table)
            raise ConnectionError("the function died after a partial write")
        return applied

    monkeypatch.setattr(tally, "SLOTS_PER_ITEM_UPDATE", 1)  # one reading per transaction
    monkeypatch.setattr(tally.Tally, "_apply_chunk", crash_after_first_transaction)
    # When a batch of many readings flows through
    batch = {
        "consumption": [
            {
                "houseId": house.id,
                "timestamp": f"{DAY}T13:{m:02d}:00Z",
                "objects": {"pump": 2.5, "light": 0.5},
            }
            for m in range(20)
        ],
        "production": [{"producerId": producer.id, "timestamp": f"{DAY}T13:00:00Z", "wh": 100}],
    }
    assert cloud.request("POST", "/readings", token=STAFF_TOKEN, json_body=batch).json()["accepted"] == 21
    cloud.drain()
    # Then each store crashed once mid-batch, was redelivered, and every total is exact
    assert len(crashed) >= 5
    day = consumption(cloud, house, f"date={DAY}")
    assert day["objects"] == {"pump": 50.0, "light": 10.0}
    assert day["wh"] == 60.0
    produced = cloud.request("GET", f"/producers/{producer.id}/production?date={DAY}", token=producer.token)
    assert (produced.status, produced.json()["wh"]) == (200, 100.0)
    assert all(depth == 0 for depth in cloud.dead_letters().values())


def test_a_message_no_handler_can_read_ends_in_the_dead_letter_queue(cloud: LocalCloud) -> None:
    # Given a poison message on the daily consumption queue
    source = next(s for s in cloud.sqs_sources if s.host.spec.logical_id == "DailyConsumptionFunction")
    cloud.clients.sqs.send_message(
        QueueUrl=source.queue_url, MessageBody='{"topic": "consumption.client", "oops": 1}'
    )
    # When the grid delivers it until it gives up
    cloud.drain()
    # Then it is in that queue's DLQ after maxReceiveCount receives, and nothing else is
    depths = cloud.dead_letters()
    assert depths.pop("DailyConsumptionQueue") == 1
    assert all(depth == 0 for depth in depths.values())
    dlq = cloud.provisioned.dead_letter_queues["DailyConsumptionQueue"]
    cloud.clients.sqs.purge_queue(QueueUrl=dlq)
