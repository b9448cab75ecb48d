"""global-consumption-database: every house's total consumption (consumption.client) per
day and tick."""

from __future__ import annotations

from localcloud import LocalCloud
from smartgrid.stores.consumption import GlobalConsumptionStore
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
