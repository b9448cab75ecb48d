"""Communities have a capacity: a full one makes the next house open a new one.

A module of its own: it runs a grid with a small capacity, and one grid runs at a time.
"""

from __future__ import annotations

from localcloud import LocalCloud
from tests.conftest import STAFF_TOKEN
from tests.helpers import register_house

PARIS = (48.8566, 2.3522)


def test_a_full_community_opens_a_new_one() -> None:
    # Given communities of two houses
    with LocalCloud(
        staff_token=STAFF_TOKEN, parameters={"CommunityCapacity": "2", "LogLevel": "WARNING"}
    ) as cloud:
        houses = [register_house(cloud, f"house {n}", *PARIS) for n in range(5)]
        # When the five registrations complete
        cloud.drain()
        communities = cloud.request("GET", "/communities", token=STAFF_TOKEN).json()["communities"]
        # Then three communities hold them, none above its capacity, every house in one
        assert sorted(c["members"] for c in communities) == [1, 2, 2]
        members = [
            h
            for c in communities
            for h in cloud.request("GET", f"/communities/{c['communityId']}", token=STAFF_TOKEN).json()[
                "houses"
            ]
        ]
        assert sorted(members) == sorted(h.id for h in houses)
