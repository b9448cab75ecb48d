"""registry-manager: its workflow step (AssignCommunityFunction) puts each house in the nearest
community with room, or opens one; its API lists communities and their houses (staff only).

This module's grid has communities of 2 houses (template parameter CommunityCapacity)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid.models import Location
from smartgrid.stores.communities import CommunitiesRepository
from tests.conftest import CLOCK_START, STAFF_TOKEN, sample_event
from tests.functions.support import api_event, call, new_house, unknown_house_id

STEP = "AssignCommunityFunction"
FUNCTION = "RegistryManagerFunction"
DIR = "registry_manager"
CAPACITY = 2


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    grid = LocalCloud(
        staff_token=STAFF_TOKEN,
        parameters={"ClockStart": CLOCK_START, "LogLevel": "WARNING", "CommunityCapacity": str(CAPACITY)},
    ).start()
    yield grid
    grid.stop()


def communities(cloud: LocalCloud) -> CommunitiesRepository:
    return CommunitiesRepository(cloud.provisioned.tables["CommunitiesTable"])


def step_at(lat: float, lon: float) -> dict[str, Any]:
    """The sample step, for a new house at another place (a city of its own for each test)."""
    return {
        **sample_event(DIR, "workflow_assign_community"),
        "houseId": unknown_house_id(),
        "location": {"lat": lat, "lon": lon},
    }


def assign(cloud: LocalCloud, step: dict[str, Any]) -> str:
    result = cloud.invoke(STEP, step)
    assert set(result) == {"communityId"}
    return str(result["communityId"])


# AssignCommunityFunction (workflow.py) ---------------------------------------------------
def test_the_first_house_of_a_place_opens_a_new_community(cloud: LocalCloud) -> None:
    # Given no community near Toulouse
    step = step_at(43.6047, 1.4442)
    before = {c.communityId for c in communities(cloud).all()}
    # When a house there is assigned
    community_id = assign(cloud, step)
    # Then a new community is anchored at the house, with it as sole member
    assert community_id not in before
    community = communities(cloud).get(community_id)
    assert community is not None
    assert community.location == Location(lat=43.6047, lon=1.4442)
    assert (community.capacity, community.members) == (CAPACITY, 1)
    assert communities(cloud).members(community_id) == [step["houseId"]]
    assert communities(cloud).community_of(step["houseId"]) == community_id


def test_a_nearby_house_joins_the_first_one(cloud: LocalCloud) -> None:
    # Given the sample house in Paris, assigned
    first = assign(cloud, sample_event(DIR, "workflow_assign_community"))
    # When its neighbour (1.1 km away) is assigned
    nearby = assign(cloud, sample_event(DIR, "workflow_assign_community_nearby"))
    # Then both are in the same community
    assert nearby == first
    assert communities(cloud).members(first) == ["h-0123456789ab", "h-0123456789ac"]
    community = communities(cloud).get(first)
    assert community is not None and community.members == 2


def test_a_house_in_another_city_gets_another_community(cloud: LocalCloud) -> None:
    # Given the sample house in Paris, assigned
    paris = assign(cloud, sample_event(DIR, "workflow_assign_community"))
    # When the sample house in Lyon (390 km away) is assigned
    lyon = assign(cloud, sample_event(DIR, "workflow_assign_community_far"))
    # Then it is in a community of its own, anchored in Lyon
    assert lyon != paris
    community = communities(cloud).get(lyon)
    assert community is not None
    assert community.location == Location(lat=45.764, lon=4.8357)
    assert communities(cloud).members(lyon) == ["h-0123456789ad"]


def test_running_the_step_twice_gives_the_same_community(cloud: LocalCloud) -> None:
    # Given a house in Lille, assigned once
    step = step_at(50.6292, 3.0573)
    first = assign(cloud, step)
    # When Step Functions runs the step again for it
    second = assign(cloud, step)
    # Then it is the same community, and the house holds one seat only
    assert second == first
    assert communities(cloud).members(first) == [step["houseId"]]
    community = communities(cloud).get(first)
    assert community is not None and community.members == 1


def test_a_full_community_sends_the_next_house_to_a_new_one(cloud: LocalCloud) -> None:
    # Given three neighbours in Bordeaux, with communities of 2
    steps = [step_at(44.8378 + 0.001 * n, -0.5792) for n in range(3)]
    # When they are assigned one after the other
    first, second, third = (assign(cloud, step) for step in steps)
    # Then the first two share a community, now full, and the third opens another
    assert first == second != third
    full, opened = communities(cloud).get(first), communities(cloud).get(third)
    assert full is not None and opened is not None
    assert (full.members, opened.members) == (CAPACITY, 1)
    assert communities(cloud).members(first) == sorted(s["houseId"] for s in steps[:2])


# GET /communities, GET /communities/{communityId} ----------------------------------------
def test_staff_list_the_communities(cloud: LocalCloud) -> None:
    # Given a community in Marseille
    community_id = assign(cloud, step_at(43.2965, 5.3698))
    # When staff list the communities
    answer = call(cloud, FUNCTION, api_event(DIR, "get_communities"))
    # Then it is listed with its anchor, capacity and member count
    assert answer.status == 200, answer.body
    listed = {c["communityId"]: c for c in answer.json()["communities"]}
    assert listed[community_id] == {
        "communityId": community_id,
        "location": {"lat": 43.2965, "lon": 5.3698},
        "capacity": CAPACITY,
        "members": 1,
    }


def test_staff_read_a_community_and_its_houses(cloud: LocalCloud) -> None:
    # Given a community in Nice with one house
    step = step_at(43.7102, 7.262)
    community_id = assign(cloud, step)
    # When staff read it
    answer = call(cloud, FUNCTION, api_event(DIR, "get_community", path={"communityId": community_id}))
    # Then they see it and its house
    assert answer.status == 200, answer.body
    assert answer.json()["houses"] == [step["houseId"]]
    assert answer.json()["members"] == 1


def test_an_unknown_community_is_not_found(cloud: LocalCloud) -> None:
    # When staff read the sample's community, which does not exist here
    answer = call(cloud, FUNCTION, api_event(DIR, "get_community"))
    # Then 404, naming the community id
    assert answer.status == 404
    assert answer.error_fields() == ["communityId"]


def test_houses_and_anonymous_callers_cannot_list_communities(cloud: LocalCloud) -> None:
    # Given a registered house
    house = new_house(cloud)
    # When it, or someone without a token, lists the communities
    anonymous = call(cloud, FUNCTION, api_event(DIR, "get_communities_no_token"))
    as_house = call(cloud, FUNCTION, api_event(DIR, "get_communities", token=house.token))
    as_house_one = call(
        cloud,
        FUNCTION,
        api_event(DIR, "get_community", path={"communityId": "c-0123456789ab"}, token=house.token),
    )
    # Then 401 without a token, 403 for a house: staff only
    assert (anonymous.status, anonymous.json()["error"]) == (401, "unauthorized")
    assert (as_house.status, as_house.json()["error"]) == (403, "forbidden")
    assert as_house_one.status == 403


def test_a_full_community_leaves_the_open_directory_and_placing_reads_only_open_ones(
    cloud: LocalCloud,
) -> None:
    # Given two houses filling a community in Strasbourg (capacity 2)
    full = assign(cloud, step_at(48.5734, 7.7521))
    assert assign(cloud, step_at(48.5740, 7.7530)) == full
    # When a third house of Strasbourg is placed
    third = assign(cloud, step_at(48.5750, 7.7540))
    # Then it opens a new community, and the full one is out of the open directory (placing
    # the third house read it full and took it out), though still listed among all
    assert third != full
    directory = cloud.clients.dynamodb.get_item(
        TableName=cloud.provisioned.tables["CommunitiesTable"],
        Key={"pk": {"S": "DIRECTORY"}, "sk": {"S": "OPEN"}},
    )["Item"]
    assert third in directory["communities"]["SS"] and full not in directory["communities"]["SS"]
    assert full in {c.communityId for c in communities(cloud).all()}


def test_a_table_from_before_the_open_directory_gets_one_from_its_communities(cloud: LocalCloud) -> None:
    # Given a community in Nantes with a seat left, and the open directory gone (an older table)
    nantes = assign(cloud, step_at(47.2184, -1.5536))
    table = cloud.provisioned.tables["CommunitiesTable"]
    cloud.clients.dynamodb.delete_item(TableName=table, Key={"pk": {"S": "DIRECTORY"}, "sk": {"S": "OPEN"}})
    # When a neighbour is placed
    neighbour = assign(cloud, step_at(47.2190, -1.5540))
    # Then it joins that community (found among every community), and the directory is back
    assert neighbour == nantes
    directory = cloud.clients.dynamodb.get_item(
        TableName=table, Key={"pk": {"S": "DIRECTORY"}, "sk": {"S": "OPEN"}}
    )
    assert "Item" in directory
