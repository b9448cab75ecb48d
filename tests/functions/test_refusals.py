"""The providers refuse readings that cannot be true (a negative energy; a battery state beyond
its capacity or rates) reading by reading, and report each on reading.refused, where the
malfunction detector hears of the faulty meter. Other refusals (an unknown house, states out of
order) are the sender's business and are not reported."""

from __future__ import annotations

from collections.abc import Callable

from localcloud import LocalCloud
from tests.conftest import STAFF_TOKEN
from tests.functions.support import TopicProbe, api_event, call, new_house, table_items
from tests.helpers import Registered, register_producer

Probe = Callable[[str], TopicProbe]


def community_of(cloud: LocalCloud, house: Registered) -> str:
    return str(cloud.request("GET", f"/houses/{house.id}", token=house.token).json()["communityId"])


def test_a_house_posting_a_negative_consumption_is_refused_and_reported(
    cloud: LocalCloud, probe: Probe
) -> None:
    # Given a house and listeners on the raw and refused readings
    house = new_house(cloud)
    refused, raw = probe("ReadingRefusedTopic"), probe("ConsumptionRawDetailedTopic")
    before = table_items(cloud, "ReadingsLedgerTable")
    # When it posts a reading with a negative object
    event = api_event("consumption_provider", "post_consumption_negative", path={"houseId": house.id})
    answer = call(cloud, "ConsumptionProviderFunction", event)
    # Then 422 naming the object, nothing recorded nor published as a reading
    assert answer.status == 422 and answer.error_fields() == ["body.objects.blender"]
    assert table_items(cloud, "ReadingsLedgerTable") == before and raw.messages() == []
    # And the refusal is reported, with the house's community and the tick
    assert refused.events() == [
        {
            "kind": "consumption",
            "reason": "negative-energy",
            "houseId": house.id,
            "communityId": community_of(cloud, house),
            "timestamp": "2026-03-02T10:01:00Z",
            "durationMinutes": 1,
            "detail": "blender: -8.333 Wh is negative: a consumption never is",
        }
    ]


def test_a_head_end_batch_refuses_only_its_negative_readings_and_reports_them(
    cloud: LocalCloud, probe: Probe
) -> None:
    # Given two houses, one of them a producer, and a utility producer
    healthy, faulty = new_house(cloud), new_house(cloud)
    roof = cloud.request("POST", f"/houses/{faulty.id}/producer", token=faulty.token).json()["producerId"]
    utility = register_producer(cloud)
    refused, raw = probe("ReadingRefusedTopic"), probe("ConsumptionRawDetailedTopic")
    at = "2026-03-02T10:05:00Z"
    body = {
        "consumption": [
            {"houseId": healthy.id, "timestamp": at, "objects": {"fridge": 1.5}},
            {"houseId": faulty.id, "timestamp": at, "objects": {"fridge": 1.5, "oven": -2}},
            {"houseId": "h-unknown0000", "timestamp": at, "objects": {"fridge": -1}},
        ],
        "production": [
            {"producerId": roof, "timestamp": at, "wh": -3},
            {"producerId": utility.id, "timestamp": at, "wh": -4},
        ],
    }
    # When the head-end posts the batch
    answer = call(
        cloud, "ConsumptionProviderFunction", api_event("consumption_provider", "post_readings", body=body)
    )
    # Then only the healthy house's reading is accepted, the others refused one by one
    assert answer.status == 202, answer.body
    assert [r["status"] for r in answer.json()["results"]] == [
        "accepted",
        "refused",
        "refused",
        "refused",
        "refused",
    ]
    assert [e["houseId"] for e in raw.events()] == [healthy.id]
    # And the impossible ones of known senders are reported (the unknown house's is not: no meter of ours)
    reported = [(e["kind"], e.get("houseId"), e.get("producerId"), e["timestamp"]) for e in refused.events()]
    assert reported == [
        ("consumption", faulty.id, None, at),
        ("production", faulty.id, roof, at),
        ("production", None, utility.id, at),
    ]


def test_a_producer_posting_a_negative_production_is_refused_and_reported(
    cloud: LocalCloud, probe: Probe
) -> None:
    producer = register_producer(cloud)
    refused = probe("ReadingRefusedTopic")
    event = api_event("production_provider", "post_production_negative", path={"producerId": producer.id})
    answer = call(cloud, "ProductionProviderFunction", event)
    assert answer.status == 422 and answer.error_fields() == ["body.wh"]
    (report,) = refused.events()
    assert (report["kind"], report["reason"], report["producerId"]) == (
        "production",
        "negative-energy",
        producer.id,
    )
    assert "houseId" not in report


def test_a_battery_state_that_breaks_physics_is_refused_and_reported_and_one_out_of_order_is_not(
    cloud: LocalCloud, probe: Probe
) -> None:
    # Given a producing house with a 1,000 Wh battery (50 W in and out) holding 500 Wh at 23:00
    house = new_house(cloud)
    assert cloud.request("POST", f"/houses/{house.id}/producer", token=house.token).status == 201
    fitted = cloud.request("POST", f"/houses/{house.id}/battery", token=house.token, json_body={})
    battery = fitted.json()["batteryId"]
    refused = probe("ReadingRefusedTopic")

    def post(states: list[tuple[str, float]]) -> list[str]:
        body = {"states": [{"batteryId": battery, "timestamp": t, "storedWh": wh} for t, wh in states]}
        event = api_event("battery_provider", "post_states", token=STAFF_TOKEN, body=body)
        answer = call(cloud, "BatteryProviderFunction", event)
        assert answer.status == 202, answer.body
        return [r["status"] for r in answer.json()["results"]]

    assert post([("2026-02-28T23:00:00Z", 500)]) == ["accepted"]
    # When it reports 900 Wh a minute later (50 W moves under 1 Wh a minute), then 1,200 Wh
    # (beyond its capacity), then a state before its latest (out of order), then a real one
    statuses = post(
        [
            ("2026-02-28T23:01:00Z", 900),
            ("2026-02-28T23:02:00Z", 1200),
            ("2026-02-28T22:00:00Z", 400),
            ("2026-02-28T23:03:00Z", 502),
        ]
    )
    # Then the impossible states are refused and reported as physics, the late one refused only
    assert statuses == ["refused", "refused", "refused", "accepted"]
    assert [(e["reason"], e["batteryId"], e["houseId"], e["timestamp"]) for e in refused.events()] == [
        ("battery-physics", battery, house.id, "2026-02-28T23:01:00Z"),
        ("battery-physics", battery, house.id, "2026-02-28T23:02:00Z"),
    ]
