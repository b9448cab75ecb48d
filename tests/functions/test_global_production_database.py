"""global-production-database: every producer's production (production.raw.global) per day
and tick, as received, house producers and utility producers apart."""

from __future__ import annotations

from boto3.dynamodb.conditions import Key

from localcloud import LocalCloud
from smartgrid import aws
from smartgrid.events import ProductionReading
from smartgrid.stores.production import GlobalProductionStore
from smartgrid.stores.shards import GLOBAL_SHARDS
from tests.conftest import sample_event

FUNCTION = "GlobalProductionFunction"
DIR = "global_production_database"


def store(cloud: LocalCloud) -> GlobalProductionStore:
    return GlobalProductionStore(cloud.provisioned.tables["GlobalProductionTable"])


def test_a_reading_is_stored_under_its_kind_and_tick(cloud: LocalCloud) -> None:
    # Given a message carrying one utility producer's production at 10:00
    event = sample_event(DIR, "readings")
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then the day's 10:00 utility tick holds it, and no house production appears
    assert result == {"batchItemFailures": []}
    assert store(cloud).ticks("2026-03-02", "utility") == {"10:00": {"p-0123456789ab": 166667}}
    assert store(cloud).ticks("2026-03-02", "house") == {}
    assert store(cloud).producer("2026-03-02", "utility", "p-0123456789ab") == {"10:00": 166667}


def test_house_and_utility_production_are_kept_apart(cloud: LocalCloud) -> None:
    # Given a batch of two records mixing utility and house producers
    event = sample_event(DIR, "readings_two_records")
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then each kind's ticks list exactly its own producers
    assert result == {"batchItemFailures": []}
    assert store(cloud).ticks("2026-03-03", "utility") == {
        "07:00": {"p-0123456789ac": 83333},
        "07:01": {"p-0123456789ac": 85000},
    }
    assert store(cloud).ticks("2026-03-03", "house") == {
        "07:00": {"p-h-0123456789ad": 1500, "p-h-0123456789ae": 30000},
        "07:01": {"p-h-0123456789af": 2000},
    }
    # And one producer's ticks read back alone
    assert store(cloud).producer("2026-03-03", "utility", "p-0123456789ac") == {
        "07:00": 83333,
        "07:01": 85000,
    }
    assert store(cloud).producer("2026-03-03", "house", "p-h-0123456789ae") == {"07:00": 30000}
    assert store(cloud).producer("2026-03-03", "house", "p-0123456789ac") == {}


def test_the_same_batch_delivered_twice_counts_once(cloud: LocalCloud) -> None:
    # Given a batch already handled once
    event = sample_event(DIR, "readings_two_records")
    cloud.invoke(FUNCTION, event)
    first = {kind: store(cloud).ticks("2026-03-03", kind) for kind in ("house", "utility")}
    # When SQS delivers it again
    result = cloud.invoke(FUNCTION, event)
    # Then every tick is unchanged
    assert result == {"batchItemFailures": []}
    assert {kind: store(cloud).ticks("2026-03-03", kind) for kind in ("house", "utility")} == first
    assert sum(mwh for ticks in first.values() for tick in ticks.values() for mwh in tick.values()) == (
        83333 + 85000 + 1500 + 30000 + 2000
    )


def test_a_record_that_is_not_a_bus_message_fails_alone(cloud: LocalCloud) -> None:
    # Given a batch whose second record is an SNS envelope instead of a bus message
    event = sample_event(DIR, "readings_bad_record")
    bad = event["Records"][1]["messageId"]
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then only that record is reported, and the valid one is stored
    assert result == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert store(cloud).ticks("2026-03-04", "utility") == {"12:00": {"p-0123456789ba": 50000}}


def test_many_producers_spread_over_shards_and_each_reads_its_own(cloud: LocalCloud) -> None:
    # Given 100 house producers' production of one tick
    producers = {f"p-h-{n:012x}": 100 + n for n in range(100)}
    store(cloud).write(
        ProductionReading(producerId=p, kind="house", timestamp="2026-03-05T12:00:00Z", mwh=mwh)
        for p, mwh in producers.items()
    )
    # Then the tick sits in GLOBAL_SHARDS items, each shard before the tick
    table = aws.dynamodb_table(cloud.provisioned.tables["GlobalProductionTable"])
    items = table.query(KeyConditionExpression=Key("date").eq("2026-03-05"))["Items"]
    assert sorted(item["slot"] for item in items) == [f"house#s{n:02d}#12:00" for n in range(GLOBAL_SHARDS)]
    # And the tick reads back whole, and each producer alone
    assert store(cloud).ticks("2026-03-05", "house") == {"12:00": producers}
    assert all(
        store(cloud).producer("2026-03-05", "house", p) == {"12:00": mwh} for p, mwh in producers.items()
    )


def test_items_from_before_the_shards_are_read_with_the_new_ones(cloud: LocalCloud) -> None:
    # Given a producer's 09:00 in an item from before the shards, and its 09:01 written now
    table = aws.dynamodb_table(cloud.provisioned.tables["GlobalProductionTable"])
    table.put_item(Item={"date": "2026-03-06", "slot": "utility#09:00", "s:p-00000000000a": 500})
    store(cloud).write(
        [
            ProductionReading(
                producerId="p-00000000000a", kind="utility", timestamp="2026-03-06T09:01:00Z", mwh=700
            )
        ]
    )
    # When its day is read, then both ticks are there, in order
    assert store(cloud).ticks("2026-03-06", "utility") == {
        "09:00": {"p-00000000000a": 500},
        "09:01": {"p-00000000000a": 700},
    }
    assert list(store(cloud).producer("2026-03-06", "utility", "p-00000000000a").items()) == [
        ("09:00", 500),
        ("09:01", 700),
    ]
