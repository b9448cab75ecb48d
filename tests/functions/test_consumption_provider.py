"""consumption-provider: a house posts its reading for a tick (POST /houses/{id}/consumption),
a head-end posts batches (POST /readings). Each reading is recorded once in the ledger and
published on consumption.raw.detailed (head-end production on production.raw.global)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from localcloud import LocalCloud
from tests.functions.support import KEEP, TopicProbe, api_event, call, new_house, sample_body, table_items
from tests.helpers import Registered, register_producer

FUNCTION = "ConsumptionProviderFunction"
DIR = "consumption_provider"
Probe = Callable[[str], TopicProbe]


def ledger_keys(cloud: LocalCloud) -> list[tuple[str, str]]:
    return [(i["source"]["S"], i["timestamp"]["S"]) for i in table_items(cloud, "ReadingsLedgerTable")]


# POST /houses/{houseId}/consumption ------------------------------------------------------
def test_a_reading_is_recorded_and_published_in_mwh_on_its_tick(cloud: LocalCloud, probe: Probe) -> None:
    # Given a house and a listener on consumption.raw.detailed
    house = new_house(cloud)
    readings = probe("ConsumptionRawDetailedTopic")
    # When it posts the sample reading (10:00:30, blender 8.333 Wh, fridge 1.5 Wh)
    answer = call(
        cloud, FUNCTION, api_event(DIR, "post_consumption", path={"houseId": house.id}, token=house.token)
    )
    # Then it is accepted, filed under the 10:00 tick
    assert answer.status == 202, answer.body
    assert answer.json() == {"status": "accepted", "timestamp": "2026-03-02T10:00:00Z"}
    # And recorded in the ledger, and published in whole mWh
    assert (f"house#{house.id}", "2026-03-02T10:00:00Z") in ledger_keys(cloud)
    (message,) = readings.messages()
    assert message["topic"] == "consumption.raw.detailed"
    community = cloud.request("GET", f"/houses/{house.id}", token=house.token).json()["communityId"]
    assert message["events"] == [
        {
            "houseId": house.id,
            "communityId": community,
            "timestamp": "2026-03-02T10:00:00Z",
            "durationMinutes": 1,
            "objects": {"blender": 8333, "fridge": 1500},
        }
    ]


def test_the_same_reading_again_is_a_duplicate_and_a_different_one_a_conflict(
    cloud: LocalCloud, probe: Probe
) -> None:
    # Given a house whose reading for 10:00 was accepted
    house = new_house(cloud)
    event = api_event(DIR, "post_consumption", path={"houseId": house.id})
    assert call(cloud, FUNCTION, event).status == 202
    readings = probe("ConsumptionRawDetailedTopic")
    ledger = table_items(cloud, "ReadingsLedgerTable")
    # When it posts the same reading again
    again = call(cloud, FUNCTION, event)
    # Then it is a duplicate (sent again: consumers are idempotent)
    assert again.status == 202
    assert again.json() == {"status": "duplicate", "timestamp": "2026-03-02T10:00:00Z"}
    assert len(readings.events()) == 1
    # When it posts a different reading for the same tick
    body = {**sample_body(DIR, "post_consumption"), "objects": {"blender": 9}}
    conflict = call(
        cloud, FUNCTION, api_event(DIR, "post_consumption", path={"houseId": house.id}, body=body)
    )
    # Then 409 naming the timestamp, and nothing is recorded nor published
    assert conflict.status == 409, conflict.body
    assert conflict.error_fields() == ["timestamp"]
    assert table_items(cloud, "ReadingsLedgerTable") == ledger
    assert readings.messages() == []


@pytest.mark.parametrize(
    ("case", "body", "field"),
    [
        ("post_consumption_negative", None, "body.objects.blender"),
        ("post_consumption_bad_timestamp", None, "body.timestamp"),
        ("post_consumption_across_midnight", None, "body.durationMinutes"),
        ("post_consumption", {"timestamp": "2026-03-02T10:00:00Z", "objects": {}}, "body.objects"),
        ("post_consumption", {"timestamp": "2026-03-02T10:00:00Z", "objects": {"x": 1}, "wh": 1}, "body.wh"),
        ("post_consumption", {"objects": {"fridge": 1.5}}, "body.timestamp"),
        (
            "post_consumption",
            {"timestamp": "2026-03-02T10:00:00Z", "objects": {"fridge": "lots"}},
            "body.objects.fridge",
        ),
    ],
    ids=[
        "negative",
        "bad-timestamp",
        "across-midnight",
        "no-objects",
        "unknown-field",
        "no-timestamp",
        "not-a-number",
    ],
)
def test_a_bad_reading_is_refused_and_nothing_is_recorded_or_published(
    cloud: LocalCloud, probe: Probe, case: str, body: object, field: str
) -> None:
    # Given a house, a listener, and the ledger so far
    house = new_house(cloud)
    readings = probe("ConsumptionRawDetailedTopic")
    before = table_items(cloud, "ReadingsLedgerTable")
    event = api_event(DIR, case, path={"houseId": house.id}, body=KEEP if body is None else body)
    # When the house posts the bad reading
    answer = call(cloud, FUNCTION, event)
    # Then it is a 422 JSON error naming the field
    assert answer.status == 422, answer.body
    assert any(f == field or f.startswith(f"{field}.") for f in answer.error_fields()), answer.body
    # And nothing was recorded nor published
    assert table_items(cloud, "ReadingsLedgerTable") == before
    assert readings.messages() == []


def test_a_reading_for_an_unknown_house_is_not_found(cloud: LocalCloud, probe: Probe) -> None:
    # Given the sample reading, for a house never registered here
    readings = probe("ConsumptionRawDetailedTopic")
    before = table_items(cloud, "ReadingsLedgerTable")
    # When staff post it
    answer = call(cloud, FUNCTION, api_event(DIR, "post_consumption"))
    # Then 404 naming the house, nothing recorded nor published
    assert answer.status == 404
    assert answer.error_fields() == ["houseId"]
    assert table_items(cloud, "ReadingsLedgerTable") == before
    assert readings.messages() == []


def test_a_house_cannot_post_for_another_nor_anyone_without_a_token(cloud: LocalCloud) -> None:
    # Given two houses
    mine, theirs = new_house(cloud), new_house(cloud)
    before = table_items(cloud, "ReadingsLedgerTable")
    # When one posts a reading for the other, and someone posts without a token
    other = call(
        cloud, FUNCTION, api_event(DIR, "post_consumption", path={"houseId": theirs.id}, token=mine.token)
    )
    anonymous = call(
        cloud, FUNCTION, api_event(DIR, "post_consumption", path={"houseId": theirs.id}, token=None)
    )
    # Then 403 and 401, and nothing is recorded
    assert (other.status, other.json()["error"]) == (403, "forbidden")
    assert (anonymous.status, anonymous.json()["error"]) == (401, "unauthorized")
    assert table_items(cloud, "ReadingsLedgerTable") == before


def community_of(cloud: LocalCloud, house: Registered) -> str:
    return str(cloud.request("GET", f"/houses/{house.id}", token=house.token).json()["communityId"])


# POST /readings --------------------------------------------------------------------------
def test_a_head_end_batch_is_recorded_and_published(cloud: LocalCloud, probe: Probe) -> None:
    # Given two houses, a producer and listeners on both raw topics
    first, second = new_house(cloud), new_house(cloud)
    producer = register_producer(cloud)
    consumption, production = probe("ConsumptionRawDetailedTopic"), probe("ProductionRawGlobalTopic")
    body = sample_body(DIR, "post_readings")
    body["consumption"][0]["houseId"], body["consumption"][1]["houseId"] = first.id, second.id
    body["production"][0]["producerId"] = producer.id
    # When staff post the sample batch for them
    answer = call(cloud, FUNCTION, api_event(DIR, "post_readings", body=body))
    # Then all three readings are accepted
    assert answer.status == 202, answer.body
    assert answer.json()["accepted"] == 3
    assert (answer.json()["duplicates"], answer.json()["refused"]) == (0, 0)
    # And each is published on its topic, in mWh, with the house's community
    events = consumption.events()
    assert [e.pop("communityId") for e in events] == [
        community_of(cloud, first),
        community_of(cloud, second),
    ]
    assert events == [
        {
            "houseId": first.id,
            "timestamp": "2026-03-02T10:01:00Z",
            "durationMinutes": 1,
            "objects": {"blender": 8333, "fridge": 1500},
        },
        {
            "houseId": second.id,
            "timestamp": "2026-03-02T10:01:00Z",
            "durationMinutes": 1,
            "objects": {"car": 21667},
        },
    ]
    assert production.events() == [
        {
            "producerId": producer.id,
            "kind": "utility",
            "timestamp": "2026-03-02T10:01:00Z",
            "durationMinutes": 1,
            "mwh": 83333,
        }
    ]


def test_unknown_sources_in_a_batch_are_refused_one_by_one(cloud: LocalCloud, probe: Probe) -> None:
    # Given the sample batch, whose houses and producer are unknown here
    consumption, production = probe("ConsumptionRawDetailedTopic"), probe("ProductionRawGlobalTopic")
    before = table_items(cloud, "ReadingsLedgerTable")
    # When staff post it
    answer = call(cloud, FUNCTION, api_event(DIR, "post_readings"))
    # Then each reading is refused with its reason, and nothing is recorded nor published
    assert answer.status == 202, answer.body
    body = answer.json()
    assert (body["accepted"], body["refused"]) == (0, 3)
    assert [(r["kind"], r["index"], r["reason"]) for r in body["results"]] == [
        ("consumption", 0, "no house h-0123456789ab"),
        ("consumption", 1, "no house h-0123456789ac"),
        ("production", 0, "no producer p-0123456789ab"),
    ]
    assert table_items(cloud, "ReadingsLedgerTable") == before
    assert consumption.messages() == production.messages() == []


def test_a_batch_that_is_not_json_or_not_from_staff_is_refused(cloud: LocalCloud) -> None:
    # Given a house, and the ledger so far
    house = new_house(cloud)
    before = table_items(cloud, "ReadingsLedgerTable")
    # When a batch cut short is posted, and a house posts a batch
    broken = call(cloud, FUNCTION, api_event(DIR, "post_readings_not_json"))
    by_house = call(cloud, FUNCTION, api_event(DIR, "post_readings", token=house.token))
    # Then a 4xx error on the body, and 403 (head-ends are staff), with nothing recorded
    assert broken.status in (400, 422), broken.body
    assert broken.error_fields() == ["body"]
    assert by_house.status == 403
    assert table_items(cloud, "ReadingsLedgerTable") == before


@pytest.mark.parametrize(
    ("timestamp", "filed"),
    [
        ("2026-03-02T12:00:59+02:00", "2026-03-02T10:00:00Z"),
        ("2026-03-02T10:00:00", "2026-03-02T10:00:00Z"),
        ("2026-03-01T23:59:59.999-01:00", "2026-03-02T00:59:00Z"),
    ],
    ids=["offset", "naive-is-utc", "other-day-in-utc"],
)
def test_a_reading_is_filed_under_its_utc_tick(cloud: LocalCloud, timestamp: str, filed: str) -> None:
    # Given a house
    house = new_house(cloud)
    body = {**sample_body(DIR, "post_consumption"), "timestamp": timestamp}
    # When it posts a reading stamped in another zone, or without a zone
    answer = call(cloud, FUNCTION, api_event(DIR, "post_consumption", path={"houseId": house.id}, body=body))
    # Then it is filed under the UTC tick that holds it
    assert answer.status == 202, answer.body
    assert answer.json()["timestamp"] == filed


def test_one_source_twice_in_a_batch_is_a_duplicate_or_a_conflict(cloud: LocalCloud, probe: Probe) -> None:
    # Given a house, a listener, and a batch with its 10:01 reading three times: the same,
    # then a different one
    house = new_house(cloud)
    readings = probe("ConsumptionRawDetailedTopic")
    reading = {**sample_body(DIR, "post_readings")["consumption"][0], "houseId": house.id}
    different = {**reading, "objects": {"blender": 1}}
    body = {"consumption": [reading, reading, different]}
    # When staff post it
    answer = call(cloud, FUNCTION, api_event(DIR, "post_readings", body=body))
    # Then the first is accepted, the second a duplicate, the third refused; one is published
    assert answer.status == 202, answer.body
    assert [r["status"] for r in answer.json()["results"]] == ["accepted", "duplicate", "refused"]
    assert [e["objects"] for e in readings.events()] == [{"blender": 8333, "fridge": 1500}]
