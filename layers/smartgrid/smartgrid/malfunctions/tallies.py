"""A community's readings stop adding up: the grid's two tallies of its tick differ.

Every house reading is counted twice, independently: electricity-frame adds it into its
tick's frame (`electricity.frame`, a community's consumption and house production), and
real-energy-output into the house's tick (`energy.output.community`, each house's). Both
count whole mWh, spread a reading over several ticks the same way, and close a tick k ticks
late, so a community's frame equals the sum of its houses' ticks exactly. When it does not,
a reading was lost (a message in a dead-letter queue) or counted twice on one path, and the
community's figures for that tick (peaks, balance, autarky, bills) disagree.

A community absent from one tally counts as 0 there; readings of houses still registering
(the `unassigned` community) are left out.
"""

from __future__ import annotations

from collections.abc import Iterable

from smartgrid.events import ElectricityFrame, EnergyOutputCommunity
from smartgrid.frames import UNASSIGNED
from smartgrid.malfunctions.episodes import Fault, Observation
from smartgrid.malfunctions.kinds import AlertType
from smartgrid.units import mwh_to_wh


def community_tallies(
    frame: ElectricityFrame, judged: Iterable[EnergyOutputCommunity]
) -> dict[str, Observation]:
    """Each community's observation of the tick: its two tallies agree, or not."""
    houses: dict[str, tuple[int, int]] = {}
    for event in judged:
        consumed = sum(h.consumptionMwh for h in event.houses.values())
        produced = sum(h.productionMwh for h in event.houses.values())
        before = houses.get(event.communityId, (0, 0))
        houses[event.communityId] = (before[0] + consumed, before[1] + produced)
    observations: dict[str, Observation] = {}
    for community in sorted((set(frame.communities) | set(houses)) - {UNASSIGNED}):
        totals = frame.communities.get(community)
        framed = (totals.consumptionMwh, totals.houseProductionMwh) if totals else (0, 0)
        summed = houses.get(community, (0, 0))
        fault = None
        if framed != summed:
            fault = Fault(
                {
                    "frameStart": frame.frameStart,
                    "frameConsumptionWh": mwh_to_wh(framed[0]),
                    "housesConsumptionWh": mwh_to_wh(summed[0]),
                    "frameProductionWh": mwh_to_wh(framed[1]),
                    "housesProductionWh": mwh_to_wh(summed[1]),
                }
            )
        observations[community] = Observation(AlertType.COMMUNITY_MISMATCH, frame.frameStart, fault)
    return observations
