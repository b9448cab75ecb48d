"""battery: a battery with its latest state, its states over a period, a house's battery; for
the owning house or staff. The grid clock of this module stands at 2026-03-01T00:00:00Z."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud import LocalCloud
from tests.conftest import STAFF_TOKEN
from tests.functions.support import api_event, call, new_house, unknown_house_id
from tests.helpers import Registered

FUNCTION = "BatteryFunction"
DIR = "battery"


@pytest.fixture
def battery(cloud: LocalCloud) -> tuple[Registered, str]:
    """A producing house with a default battery (1,000 Wh, 50 W) and three states."""
    house = new_house(cloud)
    assert cloud.request("POST", f"/houses/{house.id}/producer", token=house.token).status == 201
    fitted = cloud.request("POST", f"/houses/{house.id}/battery", token=house.token, json_body={})
    assert fitted.status == 201, fitted.body
    battery_id = fitted.json()["batteryId"]
    states = [
        {"batteryId": battery_id, "timestamp": t, "storedWh": wh}
        for t, wh in (
            ("2026-02-27T23:00:00Z", 100),  # the day before
            ("2026-02-28T00:00:00Z", 150),
            ("2026-02-28T00:01:00Z", 150.833),  # 50 W for a minute: 0.833 Wh
        )
    ]
    answer = cloud.request("POST", "/batteries/states", token=STAFF_TOKEN, json_body={"states": states})
    assert answer.json()["accepted"] == 3, answer.body
    return house, battery_id


def get(cloud: LocalCloud, case: str, path: dict[str, str], token: str | None, **query: str) -> Any:
    return call(cloud, FUNCTION, api_event(DIR, case, path=path, token=token, query=query or None))


def test_a_battery_with_its_latest_state(cloud: LocalCloud, battery: tuple[Registered, str]) -> None:
    house, battery_id = battery
    answer = get(cloud, "get_battery", {"batteryId": battery_id}, house.token)
    assert answer.status == 200, answer.body
    shown = answer.json()
    assert (shown["houseId"], shown["capacityWh"], shown["maxChargeW"], shown["maxDischargeW"]) == (
        house.id,
        1000.0,
        50.0,
        50.0,
    )
    assert shown["latestState"] == {"timestamp": "2026-02-28T00:01:00Z", "storedWh": 150.833}
    # And the house finds it from its own id
    mine = get(cloud, "get_house_battery", {"houseId": house.id}, house.token)
    assert mine.status == 200 and mine.json() == shown


def test_a_batterys_states_over_a_period_in_order(cloud: LocalCloud, battery: tuple[Registered, str]) -> None:
    house, battery_id = battery
    # When the house reads a day across midnight, both ends in
    answer = get(
        cloud,
        "get_states",
        {"batteryId": battery_id},
        house.token,
        **{"from": "2026-02-27T23:00:00Z", "to": "2026-02-28T00:01:00Z"},
    )
    assert answer.status == 200, answer.body
    assert answer.json() == {
        "batteryId": battery_id,
        "from": "2026-02-27T23:00:00Z",
        "to": "2026-02-28T00:01:00Z",
        "states": [
            {"timestamp": "2026-02-27T23:00:00Z", "storedWh": 100.0},
            {"timestamp": "2026-02-28T00:00:00Z", "storedWh": 150.0},
            {"timestamp": "2026-02-28T00:01:00Z", "storedWh": 150.833},
        ],
    }
    # And a narrower period holds only its own
    narrow = get(
        cloud,
        "get_states",
        {"batteryId": battery_id},
        STAFF_TOKEN,
        **{"from": "2026-02-28T00:00:30Z", "to": "2026-02-28T01:00:00Z"},
    )
    assert [s["storedWh"] for s in narrow.json()["states"]] == [150.833]


def test_a_period_is_at_most_a_day_and_in_order(cloud: LocalCloud, battery: tuple[Registered, str]) -> None:
    _, battery_id = battery
    path = {"batteryId": battery_id}
    too_long = get(
        cloud,
        "get_states",
        path,
        STAFF_TOKEN,
        **{"from": "2026-02-26T00:00:00Z", "to": "2026-02-28T00:00:00Z"},
    )
    assert too_long.status == 422 and too_long.error_fields() == ["to"]
    backwards = get(
        cloud,
        "get_states",
        path,
        STAFF_TOKEN,
        **{"from": "2026-02-28T00:00:00Z", "to": "2026-02-27T00:00:00Z"},
    )
    assert backwards.status == 422 and backwards.error_fields() == ["to"]
    missing = get(cloud, "get_states", path, STAFF_TOKEN, **{"from": "2026-02-28T00:00:00Z"})
    assert missing.status == 422 and missing.error_fields() == ["query.to"]


def test_only_the_owner_or_staff_read_a_battery(cloud: LocalCloud, battery: tuple[Registered, str]) -> None:
    house, battery_id = battery
    other = new_house(cloud)
    for case, path in (
        ("get_battery", {"batteryId": battery_id}),
        ("get_states", {"batteryId": battery_id}),
        ("get_house_battery", {"houseId": house.id}),
    ):
        assert get(cloud, case, path, None).status == 401, case
        assert get(cloud, case, path, other.token).status == 403, case
    assert get(cloud, "get_battery", {"batteryId": battery_id}, STAFF_TOKEN).status == 200


def test_no_battery_is_a_404(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    answer = get(cloud, "get_house_battery", {"houseId": house.id}, house.token)
    assert answer.status == 404 and answer.error_fields() == ["houseId"]
    unknown = get(cloud, "get_battery", {"batteryId": f"b-{unknown_house_id()}"}, STAFF_TOKEN)
    assert unknown.status == 404 and unknown.error_fields() == ["batteryId"]
