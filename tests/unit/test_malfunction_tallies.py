"""A community's readings add up when its frame (electricity-frame) equals the sum of its
houses' ticks (real-energy-output), consumption and production, to the mWh."""

from __future__ import annotations

from smartgrid.events import ElectricityFrame, EnergyOutputCommunity, FrameTotals, HouseEnergy
from smartgrid.malfunctions.tallies import community_tallies

TICK = "2026-03-01T10:00:00Z"


def frame(communities: dict[str, tuple[int, int]]) -> ElectricityFrame:
    totals = {
        c: FrameTotals(consumptionMwh=used, productionMwh=made, houseProductionMwh=made)
        for c, (used, made) in communities.items()
    }
    return ElectricityFrame(frameStart=TICK, durationMinutes=1, grid=FrameTotals(), communities=totals)


def judged(community: str, houses: dict[str, tuple[int, int]]) -> EnergyOutputCommunity:
    return EnergyOutputCommunity(
        communityId=community,
        frameStart=TICK,
        durationMinutes=1,
        houses={
            h: HouseEnergy(consumptionMwh=used, productionMwh=made) for h, (used, made) in houses.items()
        },
    )


def test_tallies_that_agree_are_normal_observations_of_each_community() -> None:
    observations = community_tallies(
        frame({"c-1": (3_000, 500), "c-2": (1_000, 0)}),
        [judged("c-1", {"h-1": (1_000, 500), "h-2": (2_000, 0)}), judged("c-2", {"h-3": (1_000, 0)})],
    )
    assert {c: o.faulty for c, o in observations.items()} == {"c-1": False, "c-2": False}
    assert all(o.at == TICK for o in observations.values())


def test_a_reading_missing_from_one_tally_is_a_fault_with_both_figures() -> None:
    # Given a frame that lost h-2's reading (2 Wh) and a community the frame never saw
    observations = community_tallies(
        frame({"c-1": (1_000, 500)}),
        [judged("c-1", {"h-1": (1_000, 500), "h-2": (2_000, 0)}), judged("c-3", {"h-4": (0, 7)})],
    )
    fault = observations["c-1"].fault
    assert fault is not None and dict(fault.details) == {
        "frameStart": TICK,
        "frameConsumptionWh": 1.0,
        "housesConsumptionWh": 3.0,
        "frameProductionWh": 0.5,
        "housesProductionWh": 0.5,
    }
    assert observations["c-3"].faulty


def test_houses_still_registering_are_left_out_and_a_battery_only_tick_adds_up() -> None:
    observations = community_tallies(frame({"unassigned": (9, 0)}), [judged("c-1", {"h-1": (0, 0)})])
    assert set(observations) == {"c-1"} and not observations["c-1"].faulty
