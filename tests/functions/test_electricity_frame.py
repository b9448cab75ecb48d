"""electricity-frame: readings added once into per-tick aggregates (any number of copies),
frames closed k ticks late on each move of the clock and published once, and the closed
frames read back in W."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid import aws
from smartgrid.bus import Bus
from smartgrid.events import ClientConsumption, ProductionReading, Topic
from smartgrid.stores import frames as frames_store
from smartgrid.stores.frames import ClosedFramesRepository, CommunitySums, FramesStore
from tests.conftest import sample_event
from tests.functions.balance_support import carrying, clock_move
from tests.functions.support import TopicProbe, api_event, call, new_house

CONSUMER = "ElectricityFrameFunction"
CLOSER = "ElectricityFrameCloserFunction"
API = "ElectricityFrameApiFunction"
DIR = "electricity_frame"
Probe = Callable[[str], TopicProbe]


def frames(cloud: LocalCloud) -> FramesStore:
    return FramesStore(cloud.provisioned.tables["FramesTable"])


def closed(cloud: LocalCloud) -> ClosedFramesRepository:
    return ClosedFramesRepository(cloud.provisioned.tables["ClosedFramesTable"])


def consumption(at: str, **by_house: int) -> list[ClientConsumption]:
    return [
        ClientConsumption(houseId=h, communityId="c-test", timestamp=at, mwh=m) for h, m in by_house.items()
    ]


def add(cloud: LocalCloud, topic: Topic, events: list[Any]) -> None:
    assert cloud.invoke(CONSUMER, carrying(DIR, "consumer_readings", topic, events)) == {
        "batchItemFailures": []
    }


# Aggregates --------------------------------------------------------------------------------
EXPECTED_10_00 = {"c-0123456789ab": CommunitySums(100_000, 30_000), "unassigned": CommunitySums(50_000, 0)}


def test_readings_add_into_their_community_and_producer_of_the_tick(cloud: LocalCloud) -> None:
    # Given two houses' consumption at 10:00 (one not yet in any community), a house's and a
    # utility producer's production
    event = sample_event(DIR, "consumer_readings")
    # When the function receives them
    result = cloud.invoke(CONSUMER, event)
    # Then the tick's aggregates hold each community's sums, and the producer's own
    assert result == {"batchItemFailures": []}
    tick = frames(cloud).tick("2026-03-05T10:00:00Z")
    assert tick.communities == EXPECTED_10_00
    assert tick.producers == {"p-0123456789ad": 120_000}


def test_the_same_batch_delivered_twice_counts_once(cloud: LocalCloud) -> None:
    # Given the same batch delivered twice (SQS delivers at least once)
    event = sample_event(DIR, "consumer_readings")
    cloud.invoke(CONSUMER, event)
    # When it comes again
    result = cloud.invoke(CONSUMER, event)
    # Then nothing changed
    assert result == {"batchItemFailures": []}
    assert frames(cloud).tick("2026-03-05T10:00:00Z").communities == EXPECTED_10_00


def test_two_copies_writing_the_same_batch_at_once_count_it_once(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a batch of 150 readings in three communities, all in one shard of their tick (four
    # updates of 40 slots at most: several transactions)
    monkeypatch.setattr(frames_store, "FRAME_SHARDS", 1)
    readings = [
        ClientConsumption(
            houseId=f"h-copy{n:03d}",
            communityId=f"c-copy{n % 3}",
            timestamp="2026-03-05T10:20:00Z",
            mwh=1000 + n,
        )
        for n in range(150)
    ]
    event = carrying(DIR, "consumer_readings", Topic.CONSUMPTION_CLIENT, readings)
    dynamodb = aws.client("dynamodb")
    real = dynamodb.transact_write_items
    commits = {"n": 0}

    def second_copy_first(**kwargs: Any) -> Any:
        # The second copy runs the whole batch just as the first commits its first transaction
        commits["n"] += 1
        if commits["n"] == 1:
            assert cloud.invoke(CONSUMER, event) == {"batchItemFailures": []}
        return real(**kwargs)

    monkeypatch.setattr(dynamodb, "transact_write_items", second_copy_first)
    # When the first copy handles the batch
    result = cloud.invoke(CONSUMER, event)
    # Then both succeeded and each reading counted once
    assert result == {"batchItemFailures": []} and commits["n"] > 2
    tick = frames(cloud).tick("2026-03-05T10:20:00Z")
    assert {c: s.consumption for c, s in tick.communities.items()} == {
        f"c-copy{k}": sum(1000 + n for n in range(150) if n % 3 == k) for k in range(3)
    }


def test_a_reading_over_an_hour_is_spread_over_its_ticks(cloud: LocalCloud) -> None:
    # Given a house's reading of 600.001 Wh over 11:00-12:00 / When the function receives it, twice
    assert cloud.invoke(CONSUMER, sample_event(DIR, "consumer_coarse")) == {"batchItemFailures": []}
    assert cloud.invoke(CONSUMER, sample_event(DIR, "consumer_coarse")) == {"batchItemFailures": []}
    # Then each minute holds its share, exactly, once
    store = frames(cloud)
    minutes = [
        store.tick(f"2026-03-05T11:{m:02d}:00Z").communities["c-0123456789ab"].consumption for m in range(60)
    ]
    assert minutes[0] == 10_001 and set(minutes[1:]) == {10_000} and sum(minutes) == 600_001


def test_a_day_long_reading_counts_in_each_of_its_minutes(cloud: LocalCloud) -> None:
    # Given a head-end's reading of a whole day for a house, and a utility producer's
    day = "2026-03-09"
    consumed = ClientConsumption(
        houseId="h-day",
        communityId="c-day",
        timestamp=f"{day}T00:00:00Z",
        durationMinutes=1440,
        mwh=1_440_007,
    )
    produced = ProductionReading(
        producerId="p-day", kind="utility", timestamp=f"{day}T00:00:00Z", durationMinutes=1440, mwh=2_880_000
    )
    # When the function receives them
    add(cloud, Topic.CONSUMPTION_CLIENT, [consumed])
    add(cloud, Topic.PRODUCTION_RAW_GLOBAL, [produced])
    # Then every minute of the day holds its share (the 7 mWh left over on the first minutes)
    store = frames(cloud)
    for minute, expected in (
        ("00:00", 1001),
        ("00:06", 1001),
        ("00:07", 1000),
        ("13:37", 1000),
        ("23:59", 1000),
    ):
        tick = store.tick(f"{day}T{minute}:00Z")
        assert tick.communities["c-day"].consumption == expected
        assert tick.producers == {"p-day": 2000}
    assert store.tick("2026-03-10T00:00:00Z").communities.get("c-day") is None


def test_a_day_long_reading_is_one_write_and_its_replay_changes_nothing(cloud: LocalCloud) -> None:
    # Given a head-end's reading of a whole day for a house, received once
    day = "2026-03-11"
    consumed = ClientConsumption(
        houseId="h-once",
        communityId="c-once",
        timestamp=f"{day}T00:00:00Z",
        durationMinutes=1440,
        mwh=1_440_000,
    )
    add(cloud, Topic.CONSUMPTION_CLIENT, [consumed])
    # When the same reading is delivered again, beside a new one of an hour
    hour = ClientConsumption(
        houseId="h-once2", communityId="c-once", timestamp=f"{day}T10:00:00Z", durationMinutes=60, mwh=60_000
    )
    add(cloud, Topic.CONSUMPTION_CLIENT, [consumed, hour])
    # Then the day is one item (not one per hour it covers), counted once, and the hour counts too
    table = cloud.provisioned.tables["FramesTable"]
    items = aws.client("dynamodb").scan(TableName=table)["Items"]
    assert [i["pk"]["S"] for i in items if i["sk"]["S"].startswith("c#h-once#")] == [f"DAYSPAN#{day}"]
    assert frames(cloud).tick(f"{day}T09:59:00Z").communities["c-once"].consumption == 1000
    assert frames(cloud).tick(f"{day}T10:00:00Z").communities["c-once"].consumption == 2000


def test_a_record_that_is_not_a_bus_message_fails_alone(cloud: LocalCloud) -> None:
    # Given a batch whose second record is an SNS envelope instead of a bus message
    event = sample_event(DIR, "consumer_bad_record")
    bad = event["Records"][1]["messageId"]
    # When the function receives it
    result = cloud.invoke(CONSUMER, event)
    # Then only that record is reported, and the valid one counted
    assert result == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert frames(cloud).tick("2026-03-05T12:00:00Z").communities["c-0123456789ae"].consumption == 41_667


# Closing -----------------------------------------------------------------------------------
def test_the_clock_move_closes_the_frame_k_ticks_before_and_publishes_it_once(
    cloud: LocalCloud, probe: Probe
) -> None:
    # Given the readings of 10:00 counted
    cloud.invoke(CONSUMER, sample_event(DIR, "consumer_readings"))
    published = probe("ElectricityFrameTopic")
    # When the clock moves from 10:04 to 10:05 (k = 5), and the same move is delivered again
    first = cloud.invoke(CLOSER, sample_event(DIR, "closer"))
    again = cloud.invoke(CLOSER, sample_event(DIR, "closer"))
    # Then the frame of 10:00 was closed by both, published by the first only
    assert first == {"closed": ["2026-03-05T10:00:00Z"], "published": ["2026-03-05T10:00:00Z"]}
    assert again == {"closed": ["2026-03-05T10:00:00Z"], "published": []}
    (frame,) = published.events()
    assert frame["frameStart"] == "2026-03-05T10:00:00Z" and frame["durationMinutes"] == 1
    assert frame["grid"] == {
        "consumptionMwh": 150_000,
        "productionMwh": 150_000,
        "houseProductionMwh": 30_000,
        "utilityProductionMwh": 120_000,
    }
    assert frame["communities"]["c-0123456789ab"]["houseProductionMwh"] == 30_000
    assert frame["communities"]["unassigned"]["consumptionMwh"] == 50_000
    assert frame["producers"] == {"p-0123456789ad": 120_000}
    record = closed(cloud).get("2026-03-05T10:00:00Z")
    assert record is not None and record.published


def test_a_closer_that_crashes_between_store_and_publish_publishes_once_when_redone(
    cloud: LocalCloud, probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given readings of 14:00, and a bus that fails the closer's first publish
    add(cloud, Topic.CONSUMPTION_CLIENT, consumption("2026-03-05T14:00:00Z", **{"h-crash": 5000}))
    published = probe("ElectricityFrameTopic")
    real = Bus.publish

    def unreachable(self: Bus, *args: Any, **kwargs: Any) -> int:
        raise ConnectionError("SNS is unreachable")

    monkeypatch.setattr(Bus, "publish", unreachable)
    move = clock_move("2026-03-05T14:04:00Z", "2026-03-05T14:05:00Z")
    # When the closer runs, crashes, and is run again
    with pytest.raises(ConnectionError):
        cloud.invoke(CLOSER, move)
    stored = closed(cloud).get("2026-03-05T14:00:00Z")
    monkeypatch.setattr(Bus, "publish", real)
    redone = cloud.invoke(CLOSER, move)
    # Then the frame was stored, unpublished, by the first run; the redo published it, once
    assert stored is not None and not stored.published
    assert redone["published"] == ["2026-03-05T14:00:00Z"]
    assert [f["grid"]["consumptionMwh"] for f in published.events()] == [5000]
    assert cloud.invoke(CLOSER, move)["published"] == []


def test_a_reading_after_its_frame_closed_counts_but_the_frame_stays_as_published(cloud: LocalCloud) -> None:
    # Given the frame of 15:00 closed with one house's reading
    add(cloud, Topic.CONSUMPTION_CLIENT, consumption("2026-03-05T15:00:00Z", **{"h-early": 1000}))
    cloud.invoke(CLOSER, clock_move("2026-03-05T15:04:00Z", "2026-03-05T15:05:00Z"))
    # When another house's reading of 15:00 arrives late, and the move is delivered again
    add(cloud, Topic.CONSUMPTION_CLIENT, consumption("2026-03-05T15:00:00Z", **{"h-late": 2000}))
    cloud.invoke(CLOSER, clock_move("2026-03-05T15:04:00Z", "2026-03-05T15:05:00Z"))
    # Then the aggregates count it, and the closed frame is the one published
    assert frames(cloud).tick("2026-03-05T15:00:00Z").communities["c-test"].consumption == 3000
    record = closed(cloud).get("2026-03-05T15:00:00Z")
    assert record is not None and record.payload is not None and '"consumptionMwh":1000' in record.payload


def test_a_long_jump_closes_only_the_last_sixty_frames(cloud: LocalCloud, probe: Probe) -> None:
    published = probe("ElectricityFrameTopic")
    # When the clock makes its first move after staff fast-forwarded it three days (from
    # 10:05 on the 5th to 10:05 on the 8th: the jump's readings came after the jump's move)
    result = cloud.invoke(CLOSER, sample_event(DIR, "closer_long_jump"))
    # Then the jump's last 60 frames closed, up to now - k, each published once
    assert len(result["closed"]) == 60 == len(result["published"])
    assert result["closed"][0] == "2026-03-08T09:02:00Z" and result["closed"][-1] == "2026-03-08T10:01:00Z"
    assert [f["frameStart"] for f in published.events()] == result["closed"]


# Reading them back -------------------------------------------------------------------------
def test_staff_read_the_closed_frames_of_a_period_in_w(cloud: LocalCloud) -> None:
    # Given 100 Wh consumed and 60 Wh produced by a utility producer in the minute of 13:00,
    # and the frames of 13:00 and 13:01 closed
    add(cloud, Topic.CONSUMPTION_CLIENT, consumption("2026-03-05T13:00:00Z", **{"h-api": 100_000}))
    add(
        cloud,
        Topic.PRODUCTION_RAW_GLOBAL,
        [ProductionReading(producerId="p-api", kind="utility", timestamp="2026-03-05T13:00:00Z", mwh=60_000)],
    )
    cloud.invoke(CLOSER, clock_move("2026-03-05T13:04:00Z", "2026-03-05T13:06:00Z"))
    # When staff read 13:00 to 14:00
    answer = call(
        cloud,
        API,
        api_event(DIR, "get_frames", query={"from": "2026-03-05T13:00:00Z", "to": "2026-03-05T14:00:00Z"}),
    )
    # Then both frames are there, in W
    assert answer.status == 200, answer.body
    body = answer.json()
    assert (body["from"], body["to"]) == ("2026-03-05T13:00:00Z", "2026-03-05T14:00:00Z")
    first, second = body["frames"]
    assert first["frameStart"] == "2026-03-05T13:00:00Z"
    assert first["grid"] == {
        "consumptionW": 6000.0,
        "productionW": 3600.0,
        "houseProductionW": 0.0,
        "utilityProductionW": 3600.0,
    }
    assert first["communities"]["c-test"]["consumptionW"] == 6000.0
    assert first["producers"] == {"p-api": 3600.0}
    assert second["frameStart"] == "2026-03-05T13:01:00Z" and second["grid"]["consumptionW"] == 0.0


def test_the_sample_period_is_read(cloud: LocalCloud) -> None:
    answer = call(cloud, API, sample_event(DIR, "get_frames"))
    assert answer.status == 200, answer.body
    assert all(
        "2026-03-05T10:00:00Z" <= f["frameStart"] < "2026-03-05T11:00:00Z" for f in answer.json()["frames"]
    )


def test_refused_reads_of_frames(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    cases = [
        (sample_event(DIR, "get_frames_too_long"), 422, "to"),
        (
            api_event(
                DIR, "get_frames", query={"from": "2026-03-05T11:00:00Z", "to": "2026-03-05T10:00:00Z"}
            ),
            422,
            "to",
        ),
        (api_event(DIR, "get_frames", query={"from": "2026-03-05T10:00:00Z"}), 422, "query.to"),
        (
            api_event(DIR, "get_frames", query={"from": "yesterday", "to": "2026-03-05T10:00:00Z"}),
            422,
            "query.from",
        ),
        (sample_event(DIR, "get_frames_no_token"), 401, None),
        (api_event(DIR, "get_frames", token=house.token), 403, None),
    ]
    for event, status, field in cases:
        answer = call(cloud, API, event)
        assert answer.status == status, (event["queryStringParameters"], answer.body)
        if field:
            assert field in answer.error_fields(), answer.body
