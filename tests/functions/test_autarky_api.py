"""autarky-api: a house's autarky (the house itself or staff) and a community's (staff): the
state as last judged, the window's own production and consumption, and the window itself."""

from __future__ import annotations

from localcloud import LocalCloud
from smartgrid.events import Topic
from tests.conftest import CLOCK_START, STAFF_TOKEN
from tests.functions.autarky_support import at, balanced, tick_of
from tests.functions.balance_support import carrying
from tests.functions.support import api_event, call, new_house, unknown_house_id

API = "AutarkyApiFunction"
DIR = "autarky_api"
START = "2026-03-09T10:00:00Z"


def community_of(cloud: LocalCloud, house_id: str, token: str) -> str:
    return str(cloud.request("GET", f"/houses/{house_id}", token=token).json()["communityId"])


def test_a_house_and_its_community_read_their_autarky_over_the_last_hour(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    community = community_of(cloud, house.id, house.token)
    # Given two ticks judged: 3 Wh used, 5 Wh produced of which 1 Wh stored, 0.5 Wh given back
    ticks = [
        tick_of(
            community, at(START, 0), {house.id: balanced(consumption=1000, production=5000, charge=1000)}
        ),
        tick_of(community, at(START, 1), {house.id: balanced(consumption=2000, discharge=500)}),
    ]
    cloud.invoke(
        "AutarkyOversightFunction",
        carrying("autarky_oversight", "consumer", Topic.ENERGY_OUTPUT_COMMUNITY, ticks),
    )
    # When the house reads its autarky
    answer = cloud.request("GET", f"/houses/{house.id}/autarky", token=house.token)
    # Then it is autarkic since the end of its first tick, over the hour to the last tick judged
    assert answer.status == 200, answer.body
    assert answer.json() == {
        "kind": "house",
        "id": house.id,
        "autarkic": True,
        "since": at(START, 1),
        "productionWh": 4.5,
        "consumptionWh": 3.0,
        "coveragePercent": 150.0,
        "window": {"minutes": 60, "from": at(START, -58), "to": at(START, 2)},
    }
    # And staff read the community's, the same here (one house)
    staff = cloud.request("GET", f"/communities/{community}/autarky", token=STAFF_TOKEN).json()
    assert (staff["kind"], staff["autarkic"], staff["productionWh"]) == ("community", True, 4.5)


def test_before_anything_is_judged_a_house_is_not_autarkic_over_the_grids_last_hour(
    cloud: LocalCloud,
) -> None:
    house = new_house(cloud)
    answer = cloud.request("GET", f"/houses/{house.id}/autarky", token=STAFF_TOKEN).json()
    assert (answer["autarkic"], answer["since"], answer["productionWh"], answer["coveragePercent"]) == (
        False,
        None,
        0.0,
        None,
    )
    assert answer["window"]["to"] == CLOCK_START  # the clock has not moved in these tests


def test_only_the_house_itself_or_staff_read_it_and_only_staff_a_community(cloud: LocalCloud) -> None:
    house, other = new_house(cloud), new_house(cloud)
    community = community_of(cloud, house.id, house.token)
    assert cloud.request("GET", f"/houses/{house.id}/autarky").status == 401
    assert cloud.request("GET", f"/houses/{house.id}/autarky", token=other.token).status == 403
    assert cloud.request("GET", f"/communities/{community}/autarky", token=house.token).status == 403


def test_unknown_houses_and_communities_are_404_naming_the_field(cloud: LocalCloud) -> None:
    house = call(cloud, API, api_event(DIR, "get_house_autarky", path={"houseId": unknown_house_id()}))
    assert house.status == 404 and house.error_fields() == ["houseId"]
    community = call(
        cloud, API, api_event(DIR, "get_community_autarky", path={"communityId": "c-000000000000"})
    )
    assert community.status == 404 and community.error_fields() == ["communityId"]
