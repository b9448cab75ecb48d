"""battery-provider: a producing house registers its battery (published once on
battery.subscription); its states are judged against the latest accepted one (capacity,
rates, time order), stored, and published on battery.state. The grid clock of this module
stands at its start, 2026-03-01T00:00:00Z: states are posted for the evening before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from localcloud import LocalCloud
from tests.conftest import STAFF_TOKEN
from tests.functions.support import (
    TopicProbe,
    api_event,
    call,
    new_house,
    sample_body,
    table_items,
    unknown_house_id,
)
from tests.helpers import Registered

FUNCTION = "BatteryProviderFunction"
DIR = "battery_provider"
Probe = Callable[[str], TopicProbe]


def producing_house(cloud: LocalCloud) -> Registered:
    house = new_house(cloud)
    answer = cloud.request("POST", f"/houses/{house.id}/producer", token=house.token)
    assert answer.status == 201, answer.body
    return house


def fit(cloud: LocalCloud, house: Registered, **body: Any) -> Any:
    event = api_event(DIR, "post_battery", path={"houseId": house.id}, token=house.token, body=body)
    return call(cloud, FUNCTION, event)


def post_state(
    cloud: LocalCloud, battery_id: str, token: str | None, timestamp: str, stored_wh: float
) -> Any:
    event = api_event(
        DIR,
        "post_state",
        path={"batteryId": battery_id},
        token=token,
        body={"timestamp": timestamp, "storedWh": stored_wh},
    )
    return call(cloud, FUNCTION, event)


def post_batch(cloud: LocalCloud, states: list[dict[str, Any]], token: str | None = STAFF_TOKEN) -> Any:
    return call(cloud, FUNCTION, api_event(DIR, "post_states", token=token, body={"states": states}))


@pytest.fixture
def battery(cloud: LocalCloud) -> tuple[Registered, str]:
    """A producing house with a 5,000 Wh battery that moves at most 1,000 W (scenario 3)."""
    house = producing_house(cloud)
    answer = fit(cloud, house, capacityWh=5000, maxChargeW=1000, maxDischargeW=1000)
    assert answer.status == 201, answer.body
    return house, answer.json()["batteryId"]


def test_a_producing_house_fits_a_battery_announced_once(cloud: LocalCloud, probe: Probe) -> None:
    subscriptions = probe("BatterySubscriptionTopic")
    house = producing_house(cloud)
    # When the house fits a battery with the defaults
    answer = fit(cloud, house)
    # Then it is registered with 1,000 Wh and 50 W both ways, at the grid's time
    assert answer.status == 201, answer.body
    battery = answer.json()
    assert battery == {
        "batteryId": f"b-{house.id}",
        "houseId": house.id,
        "capacityWh": 1000.0,
        "maxChargeW": 50.0,
        "maxDischargeW": 50.0,
        "registeredAt": "2026-03-01T00:00:00Z",
        "latestState": None,
    }
    # And announced once, in mWh
    (event,) = subscriptions.events()
    assert event == {
        "batteryId": battery["batteryId"],
        "houseId": house.id,
        "capacityMwh": 1_000_000,
        "maxChargeW": 50.0,
        "maxDischargeW": 50.0,
        "timestamp": "2026-03-01T00:00:00Z",
    }
    # And a second battery for the house is a conflict naming the house, not announced
    again = fit(cloud, house, capacityWh=2000)
    assert again.status == 409 and again.error_fields() == ["houseId"]
    assert battery["batteryId"] in again.json()["message"]
    assert subscriptions.events() == []


def test_a_house_that_does_not_produce_gets_no_battery(cloud: LocalCloud, probe: Probe) -> None:
    subscriptions = probe("BatterySubscriptionTopic")
    house = new_house(cloud)
    before = table_items(cloud, "BatteriesTable")
    answer = fit(cloud, house)
    assert answer.status == 409 and answer.error_fields() == ["houseId"]
    assert "does not produce" in answer.json()["message"]
    # And an unknown house is a 404, bad rates a 422 naming them: nothing stored or announced
    staff_event = api_event(DIR, "post_battery", path={"houseId": unknown_house_id()}, body={})
    assert call(cloud, FUNCTION, staff_event).status == 404
    bad = fit(cloud, producing_house(cloud), capacityWh=0, maxChargeW=-1)
    assert bad.status == 422 and bad.error_fields() == ["body.capacityWh", "body.maxChargeW"]
    assert table_items(cloud, "BatteriesTable") == before
    assert subscriptions.events() == []


def test_fitting_a_battery_is_for_the_house_itself_or_staff(cloud: LocalCloud) -> None:
    house, other = producing_house(cloud), new_house(cloud)
    path = {"houseId": house.id}
    assert call(cloud, FUNCTION, api_event(DIR, "post_battery", path=path, token=None)).status == 401
    assert call(cloud, FUNCTION, api_event(DIR, "post_battery", path=path, token=other.token)).status == 403
    assert call(cloud, FUNCTION, api_event(DIR, "post_battery", path=path)).status == 201  # staff


def test_states_within_capacity_and_rates_are_stored_and_published(
    cloud: LocalCloud, probe: Probe, battery: tuple[Registered, str]
) -> None:
    states = probe("BatteryStateTopic")
    house, battery_id = battery
    # When the house reports 0 Wh at 22:00, then 1,000 Wh an hour later (1,000 W for an hour)
    first = post_state(cloud, battery_id, house.token, "2026-02-28T22:00:00Z", 0)
    full_rate = post_state(cloud, battery_id, house.token, "2026-02-28T23:00:30Z", 1000)
    # Then both are accepted, the second filed under its tick
    assert (first.status, first.json()["status"]) == (202, "accepted")
    assert full_rate.status == 202, full_rate.body
    assert full_rate.json() == {
        "batteryId": battery_id,
        "status": "accepted",
        "timestamp": "2026-02-28T23:00:00Z",
        "storedWh": 1000.0,
    }
    # And published as tick-boundary states in mWh
    assert states.events() == [
        {"batteryId": battery_id, "houseId": house.id, "timestamp": "2026-02-28T22:00:00Z", "storedMwh": 0},
        {
            "batteryId": battery_id,
            "houseId": house.id,
            "timestamp": "2026-02-28T23:00:00Z",
            "storedMwh": 1_000_000,
        },
    ]
    # And the battery shows its latest state
    shown = cloud.request("GET", f"/batteries/{battery_id}", token=house.token).json()
    assert shown["latestState"] == {"timestamp": "2026-02-28T23:00:00Z", "storedWh": 1000.0}


def test_a_state_that_breaks_physics_is_refused_and_nothing_is_stored(
    cloud: LocalCloud, probe: Probe, battery: tuple[Registered, str]
) -> None:
    states = probe("BatteryStateTopic")
    house, battery_id = battery
    assert post_state(cloud, battery_id, house.token, "2026-02-28T23:00:00Z", 2000).status == 202
    states.events()
    before = table_items(cloud, "BatteriesTable")
    cases = [
        # above capacity, below zero
        ("2026-02-28T23:59:00Z", 5000.001, 422, "storedWh", "between 0 and the capacity"),
        ("2026-02-28T23:59:00Z", -1, 422, "storedWh", "between 0 and the capacity"),
        # 1,000 W for 10 minutes moves at most 166.666 Wh either way
        ("2026-02-28T23:10:00Z", 2166.7, 422, "storedWh", "between 1833.334 and 2166.666 Wh"),
        ("2026-02-28T23:10:00Z", 1833.3, 422, "storedWh", "between 1833.334 and 2166.666 Wh"),
        # before the latest state, a different value at it, in the grid's future
        ("2026-02-28T22:59:00Z", 2000, 409, "timestamp", "time order"),
        ("2026-02-28T23:00:00Z", 2001, 409, "timestamp", "a different state"),
        ("2026-03-01T00:01:00Z", 2000, 422, "timestamp", "in the grid's future"),
    ]
    for timestamp, stored, status, field, message in cases:
        answer = post_state(cloud, battery_id, house.token, timestamp, stored)
        assert answer.status == status, (timestamp, stored, answer.body)
        assert answer.error_fields() == [field]
        assert message in answer.json()["message"], answer.json()["message"]
    assert table_items(cloud, "BatteriesTable") == before
    assert states.events() == []
    # And a few mWh of a device's rounding are tolerated
    assert post_state(cloud, battery_id, house.token, "2026-02-28T23:10:00Z", 2166.67).status == 202


def test_the_same_state_again_is_a_duplicate(
    cloud: LocalCloud, probe: Probe, battery: tuple[Registered, str]
) -> None:
    states = probe("BatteryStateTopic")
    house, battery_id = battery
    post_state(cloud, battery_id, house.token, "2026-02-28T23:00:00Z", 10)
    post_state(cloud, battery_id, house.token, "2026-02-28T23:01:00Z", 20)
    before = table_items(cloud, "BatteriesTable")
    # When both are posted again (a retry), the latest and the one before it
    again = [
        post_state(cloud, battery_id, STAFF_TOKEN, t, wh)
        for t, wh in (("2026-02-28T23:01:00Z", 20), ("2026-02-28T23:00:00Z", 10))
    ]
    # Then each is a duplicate, nothing changes, and each is published again (consumers are idempotent)
    assert [(a.status, a.json()["status"]) for a in again] == [(202, "duplicate"), (202, "duplicate")]
    assert table_items(cloud, "BatteriesTable") == before
    assert [e["timestamp"] for e in states.events()][-2:] == ["2026-02-28T23:01:00Z", "2026-02-28T23:00:00Z"]


def test_states_are_for_the_owning_house_or_staff(cloud: LocalCloud, battery: tuple[Registered, str]) -> None:
    house, battery_id = battery
    other = producing_house(cloud)
    assert post_state(cloud, battery_id, None, "2026-02-28T20:00:00Z", 1).status == 401
    assert post_state(cloud, battery_id, other.token, "2026-02-28T20:00:00Z", 1).status == 403
    assert post_state(cloud, f"b-{unknown_house_id()}", STAFF_TOKEN, "2026-02-28T20:00:00Z", 1).status == 404
    assert post_state(cloud, battery_id, cloud.head_end_token, "2026-02-28T20:00:00Z", 1).status == 202
    # And the batch route is staff's (the head-end's) only
    assert post_batch(cloud, sample_body(DIR, "post_states")["states"], token=house.token).status == 403
    assert post_batch(cloud, sample_body(DIR, "post_states")["states"], token=None).status == 401


def test_a_batch_answers_each_state_in_order(
    cloud: LocalCloud, probe: Probe, battery: tuple[Registered, str]
) -> None:
    states = probe("BatteryStateTopic")
    _, battery_id = battery
    unknown = f"b-{unknown_house_id()}"
    # Given hourly states of a night (each judged against the one before it in the batch)
    batch = [
        {"batteryId": battery_id, "timestamp": "2026-02-28T20:00:00Z", "storedWh": 3000},
        {"batteryId": battery_id, "timestamp": "2026-02-28T21:00:00Z", "storedWh": 2000},
        {
            "batteryId": battery_id,
            "timestamp": "2026-02-28T22:00:00Z",
            "storedWh": 500,
        },  # -1,500 Wh in an hour
        {"batteryId": unknown, "timestamp": "2026-02-28T22:00:00Z", "storedWh": 1},
        {"batteryId": battery_id, "timestamp": "2026-02-28T22:00:00Z", "storedWh": 1000},
        {"batteryId": battery_id, "timestamp": "2026-02-28T21:00:00Z", "storedWh": 2000},  # again
    ]
    answer = post_batch(cloud, batch, token=cloud.head_end_token)
    assert answer.status == 202, answer.body
    receipt = answer.json()
    assert (receipt["accepted"], receipt["duplicates"], receipt["refused"]) == (3, 1, 2)
    assert [r["status"] for r in receipt["results"]] == [
        "accepted",
        "accepted",
        "refused",
        "refused",
        "accepted",
        "duplicate",
    ]
    assert "between 1000.0 and 3000.0 Wh" in receipt["results"][2]["reason"]
    assert receipt["results"][3]["reason"] == f"no battery {unknown}"
    # And accepted and duplicate states are published, in order
    assert [(e["timestamp"], e["storedMwh"]) for e in states.events()] == [
        ("2026-02-28T20:00:00Z", 3_000_000),
        ("2026-02-28T21:00:00Z", 2_000_000),
        ("2026-02-28T22:00:00Z", 1_000_000),
        ("2026-02-28T21:00:00Z", 2_000_000),
    ]
    # And the same batch again is all duplicates or refusals: nothing counted twice
    replay = post_batch(cloud, batch, token=cloud.head_end_token).json()
    assert [r["status"] for r in replay["results"]] == [
        "duplicate",
        "duplicate",
        "refused",
        "refused",
        "duplicate",
        "duplicate",
    ]
    # And an empty or malformed batch is a 422 naming the field
    assert post_batch(cloud, []).error_fields() == ["body.states"]
    bad = post_batch(cloud, [{"batteryId": battery_id, "timestamp": "yesterday", "storedWh": 1}])
    assert bad.status == 422 and bad.error_fields() == ["body.states.0.timestamp"]
