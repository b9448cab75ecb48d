"""daily-consumption-db: each house's total consumption (consumption.client) per day, a
slot per tick."""

from __future__ import annotations

from localcloud import LocalCloud
from smartgrid.stores.consumption import DailyConsumptionStore
from tests.conftest import sample_event

FUNCTION = "DailyConsumptionFunction"
DIR = "daily_consumption_db"


def store(cloud: LocalCloud) -> DailyConsumptionStore:
    return DailyConsumptionStore(cloud.provisioned.tables["DailyConsumptionTable"])


def test_a_total_is_stored_in_its_tick_of_the_day(cloud: LocalCloud) -> None:
    # Given a message carrying one house's total at 10:00
    event = sample_event(DIR, "totals")
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then nothing failed and the day holds that total in the 10:00 slot
    assert result == {"batchItemFailures": []}
    assert store(cloud).slots_of_day("h-0123456789ab", "2026-03-02") == {"10:00": 9833}
    assert store(cloud).days("h-0123456789ab", ["2026-03-01", "2026-03-02"]) == {
        "2026-03-01": 0,
        "2026-03-02": 9833,
    }


def test_two_records_of_several_totals_are_all_stored(cloud: LocalCloud) -> None:
    # Given a batch of two records carrying totals of two houses
    event = sample_event(DIR, "totals_two_records")
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then each house's day holds exactly its totals
    assert result == {"batchItemFailures": []}
    assert store(cloud).slots_of_day("h-0123456789ac", "2026-03-03") == {
        "07:00": 23167,
        "07:01": 23167,
        "07:15": 750000,
    }
    assert store(cloud).slots_of_day("h-0123456789ad", "2026-03-03") == {"07:00": 33333, "07:01": 34333}


def test_the_same_batch_delivered_twice_counts_once(cloud: LocalCloud) -> None:
    # Given a batch already handled once
    event = sample_event(DIR, "totals_two_records")
    cloud.invoke(FUNCTION, event)
    # When SQS delivers it again
    result = cloud.invoke(FUNCTION, event)
    # Then the day's totals are unchanged
    assert result == {"batchItemFailures": []}
    assert store(cloud).days("h-0123456789ac", ["2026-03-03"]) == {"2026-03-03": 23167 + 23167 + 750000}
    assert store(cloud).days("h-0123456789ad", ["2026-03-03"]) == {"2026-03-03": 33333 + 34333}


def test_a_record_that_is_not_a_bus_message_fails_alone(cloud: LocalCloud) -> None:
    # Given a batch whose second record is an SNS envelope instead of a bus message
    event = sample_event(DIR, "totals_bad_record")
    bad = event["Records"][1]["messageId"]
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then only that record is reported, and the valid one is stored
    assert result == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert store(cloud).slots_of_day("h-0123456789ae", "2026-03-04") == {"12:00": 41667}
