"""global-consumption-database: every house's total consumption (consumption.client) per
day and tick."""

from __future__ import annotations

from boto3.dynamodb.conditions import Key

from localcloud import LocalCloud
from smartgrid import aws
from smartgrid.events import ClientConsumption
from smartgrid.stores.consumption import GlobalConsumptionStore
from smartgrid.stores.shards import GLOBAL_SHARDS
from tests.conftest import sample_event

FUNCTION = "GlobalConsumptionFunction"
DIR = "global_consumption_database"


def store(cloud: LocalCloud) -> GlobalConsumptionStore:
    return GlobalConsumptionStore(cloud.provisioned.tables["GlobalConsumptionTable"])


def test_a_total_is_stored_under_its_tick(cloud: LocalCloud) -> None:
    # Given a message carrying one house's total at 10:00
    event = sample_event(DIR, "totals")
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then the day's 10:00 tick holds that house's total
    assert result == {"batchItemFailures": []}
    assert store(cloud).ticks("2026-03-02") == {"10:00": {"h-0123456789ab": 9833}}


def test_two_records_of_several_totals_are_all_stored(cloud: LocalCloud) -> None:
    # Given a batch of two records carrying totals of two houses
    event = sample_event(DIR, "totals_two_records")
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then each tick lists exactly the houses that consumed in it
    assert result == {"batchItemFailures": []}
    assert store(cloud).ticks("2026-03-03") == {
        "07:00": {"h-0123456789ac": 23167, "h-0123456789ad": 33333},
        "07:01": {"h-0123456789ac": 23167, "h-0123456789ad": 34333},
        "07:15": {"h-0123456789ac": 750000},
    }


def test_the_same_batch_delivered_twice_counts_once(cloud: LocalCloud) -> None:
    # Given a batch already handled once
    event = sample_event(DIR, "totals_two_records")
    cloud.invoke(FUNCTION, event)
    first = store(cloud).ticks("2026-03-03")
    # When SQS delivers it again
    result = cloud.invoke(FUNCTION, event)
    # Then every tick is unchanged
    assert result == {"batchItemFailures": []}
    assert store(cloud).ticks("2026-03-03") == first
    assert sum(sum(houses.values()) for houses in first.values()) == 23167 * 2 + 750000 + 33333 + 34333


def test_a_record_that_is_not_a_bus_message_fails_alone(cloud: LocalCloud) -> None:
    # Given a batch whose second record is an SNS envelope instead of a bus message
    event = sample_event(DIR, "totals_bad_record")
    bad = event["Records"][1]["messageId"]
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then only that record is reported, and the valid one is stored
    assert result == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert store(cloud).ticks("2026-03-04") == {"12:00": {"h-0123456789ae": 41667}}


def test_a_tick_of_many_houses_is_spread_over_shards_and_read_whole(cloud: LocalCloud) -> None:
    # Given 200 houses' totals of one tick (an item per tick would grow with the whole grid)
    houses = {f"h-{n:012x}": 1000 + n for n in range(200)}
    readings = [
        ClientConsumption(houseId=house, communityId="c-1", timestamp="2026-03-05T08:00:00Z", mwh=mwh)
        for house, mwh in houses.items()
    ]
    # When the store writes them
    store(cloud).write(readings)
    # Then they sit in GLOBAL_SHARDS items of that tick, none holding more than its share
    table = aws.dynamodb_table(cloud.provisioned.tables["GlobalConsumptionTable"])
    items = table.query(KeyConditionExpression=Key("date").eq("2026-03-05"))["Items"]
    assert sorted(item["slot"] for item in items) == [f"08:00#{n:02d}" for n in range(GLOBAL_SHARDS)]
    assert max(len(item) - 2 for item in items) < 2 * len(houses) / GLOBAL_SHARDS
    # And the tick reads back whole
    assert store(cloud).ticks("2026-03-05") == {"08:00": houses}


def test_items_from_before_the_shards_are_read_with_the_new_ones(cloud: LocalCloud) -> None:
    # Given a tick item written before the shards (slot HH:MM) and a sharded one of the same tick
    table = aws.dynamodb_table(cloud.provisioned.tables["GlobalConsumptionTable"])
    table.put_item(Item={"date": "2026-03-06", "slot": "09:00", "s:h-00000000000a": 500})
    store(cloud).write(
        [
            ClientConsumption(
                houseId="h-00000000000b", communityId="c-1", timestamp="2026-03-06T09:00:00Z", mwh=700
            )
        ]
    )
    # When the day is read, then both houses are in the tick
    assert store(cloud).ticks("2026-03-06") == {"09:00": {"h-00000000000a": 500, "h-00000000000b": 700}}
