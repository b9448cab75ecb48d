"""global-production-database: every producer's production (production.raw.global) per day
and tick, as received, house producers and utility producers apart."""

from __future__ import annotations

from localcloud import LocalCloud
from smartgrid.stores.production import GlobalProductionStore
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
