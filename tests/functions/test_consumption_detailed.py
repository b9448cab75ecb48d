"""consumption-detailed: every object's readings (consumption.raw.detailed) kept per house,
day and object, one slot per tick."""

from __future__ import annotations

from localcloud import LocalCloud
from smartgrid.stores.consumption import DetailedConsumptionStore
from tests.conftest import sample_event

FUNCTION = "ConsumptionDetailedFunction"
DIR = "consumption_detailed"


def store(cloud: LocalCloud) -> DetailedConsumptionStore:
    return DetailedConsumptionStore(cloud.provisioned.tables["DetailedConsumptionTable"])


def test_one_reading_is_stored_per_object(cloud: LocalCloud) -> None:
    # Given a message carrying one house's reading of two objects at 10:00
    event = sample_event(DIR, "readings")
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then nothing failed and each object holds its energy (mWh) in the 10:00 slot
    assert result == {"batchItemFailures": []}
    assert store(cloud).objects("h-0123456789ab", "2026-03-02") == {
        "blender": {"10:00": 8333},
        "fridge": {"10:00": 1500},
    }


def test_two_records_of_several_readings_are_all_stored(cloud: LocalCloud) -> None:
    # Given a batch of two records, each a message of readings of two houses
    event = sample_event(DIR, "readings_two_records")
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then every object of every reading has its slot, and nothing else is there
    assert result == {"batchItemFailures": []}
    assert store(cloud).objects("h-0123456789ac", "2026-03-03") == {
        "car": {"07:00": 21667, "07:01": 21667},
        "fridge": {"07:00": 1500, "07:01": 1500},
        "heat-pump": {"07:15": 750000},
    }
    assert store(cloud).objects("h-0123456789ad", "2026-03-03") == {
        "kettle": {"07:00": 33333, "07:01": 33333},
        "lights": {"07:01": 1000},
    }


def test_the_same_batch_delivered_twice_counts_once(cloud: LocalCloud) -> None:
    # Given a batch already handled once
    event = sample_event(DIR, "readings_two_records")
    cloud.invoke(FUNCTION, event)
    first = store(cloud).objects("h-0123456789ac", "2026-03-03")
    # When SQS delivers it again
    result = cloud.invoke(FUNCTION, event)
    # Then the stored readings are the same, not doubled
    assert result == {"batchItemFailures": []}
    assert store(cloud).objects("h-0123456789ac", "2026-03-03") == first
    assert sum(first["car"].values()) == 2 * 21667


def test_a_record_that_is_not_a_bus_message_fails_alone(cloud: LocalCloud) -> None:
    # Given a batch whose second record is an SNS envelope instead of a bus message
    event = sample_event(DIR, "readings_bad_record")
    bad = event["Records"][1]["messageId"]
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then only that record is reported for a retry, and the valid one is stored
    assert result == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert store(cloud).objects("h-0123456789ae", "2026-03-04") == {"oven": {"12:00": 41667}}


def test_a_reading_is_one_item_however_many_objects_it_carries(cloud: LocalCloud) -> None:
    # Given a message carrying one house's reading of two objects at 10:00
    event = sample_event(DIR, "readings")
    # When the function receives it
    cloud.invoke(FUNCTION, event)
    # Then the house's day holds one item, its 10:00 slot, with both objects in it
    items = cloud.clients.dynamodb.query(
        TableName=cloud.provisioned.tables["DetailedConsumptionTable"],
        KeyConditionExpression="houseDay = :day",
        ExpressionAttributeValues={":day": {"S": "h-0123456789ab#2026-03-02"}},
    )["Items"]
    assert [item["slot"]["S"] for item in items] == ["10:00"]
    assert set(items[0]) == {"houseDay", "slot", "s:blender", "s:fridge"}
