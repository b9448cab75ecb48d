"""Community assignment: great-circle distance and the nearest community with room."""

from __future__ import annotations

import pytest

from smartgrid.geo import distance_km, nearest_with_room
from smartgrid.models import Community, Location

PARIS = Location(lat=48.8566, lon=2.3522)
LYON = Location(lat=45.7640, lon=4.8357)
HOME = Location(lat=48.0, lon=2.0)


def community(
    community_id: str, lat: float, lon: float, *, members: int = 0, capacity: int = 10
) -> Community:
    return Community(
        communityId=community_id, location=Location(lat=lat, lon=lon), capacity=capacity, members=members
    )


def test_distance_paris_lyon() -> None:
    assert distance_km(PARIS, LYON) == pytest.approx(392, abs=2)


def test_distance_is_symmetric_and_zero_to_itself() -> None:
    assert distance_km(PARIS, LYON) == pytest.approx(distance_km(LYON, PARIS))
    assert distance_km(PARIS, PARIS) == 0


def test_distance_one_degree_of_latitude() -> None:
    # One degree along a meridian is about 111.2 km on a 6371 km sphere
    assert distance_km(Location(lat=0, lon=0), Location(lat=1, lon=0)) == pytest.approx(111.19, abs=0.01)


def test_distance_antipodes_is_half_the_circumference() -> None:
    assert distance_km(Location(lat=0, lon=0), Location(lat=0, lon=180)) == pytest.approx(20015.1, abs=0.1)


def test_nearest_wins() -> None:
    # Given a near and a far community, both with room / Then the near one is chosen
    near = community("c-near", 48.01, 2.0)
    far = community("c-far", 48.1, 2.0)
    assert nearest_with_room(HOME, [far, near], radius_km=50) is near


def test_full_communities_are_skipped() -> None:
    full = community("c-full", 48.0, 2.0, members=10, capacity=10)
    roomy = community("c-roomy", 48.2, 2.0, members=9, capacity=10)
    assert nearest_with_room(HOME, [full, roomy], radius_km=50) is roomy


def test_communities_beyond_the_radius_are_skipped() -> None:
    # Given the only community with room about 22 km away / When the radius is 20 km / Then none
    away = community("c-away", 48.2, 2.0)
    assert nearest_with_room(HOME, [away], radius_km=20) is None
    assert nearest_with_room(HOME, [away], radius_km=25) is away


def test_ties_go_to_the_smallest_id() -> None:
    # Given two communities at the same place / Then the smaller id wins, whatever the order
    b = community("c-b", 48.05, 2.0)
    a = community("c-a", 48.05, 2.0)
    assert nearest_with_room(HOME, [b, a], radius_km=50) is a
    assert nearest_with_room(HOME, [a, b], radius_km=50) is a


def test_no_community_gives_none() -> None:
    assert nearest_with_room(HOME, [], radius_km=1000) is None
    assert (
        nearest_with_room(HOME, iter([community("c-full", 48.0, 2.0, members=3, capacity=3)]), 1000) is None
    )
