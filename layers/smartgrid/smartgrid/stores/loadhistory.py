"""A community's net load by day and tick (owner: consumption-scheduler), for its forecast.

LoadHistoryTable (`communityId`, `day`): a slot per tick, `HH:MM` → consumption less house
production (mWh) of the community's closed frame. Set, not added: a frame delivered twice
writes the same value.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from smartgrid.events import ElectricityFrame
from smartgrid.gridtime import day_of, parse_instant, slot_of
from smartgrid.loadforecast import DayHistory
from smartgrid.stores.slots import SlotTable, SlotWrite


class LoadHistoryStore:
    def __init__(self, table_name: str) -> None:
        self.slots = SlotTable(table_name, "communityId", "day")

    def record(self, frames: Iterable[ElectricityFrame]) -> int:
        writes = []
        for frame in frames:
            start = parse_instant(frame.frameStart)
            for community_id, totals in frame.communities.items():
                net = totals.consumptionMwh - totals.houseProductionMwh
                writes.append(SlotWrite((community_id, day_of(start)), slot_of(start), net))
        return self.slots.write(writes) if writes else 0

    def days(self, community_id: str, days: Iterable[date]) -> dict[date, DayHistory]:
        wanted = {d.isoformat(): d for d in days}
        found = self.slots.get_many((community_id, d) for d in wanted)
        return {wanted[day]: values for (_, day), values in found.items()}
