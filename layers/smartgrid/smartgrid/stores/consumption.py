"""The consumption stores, each owned by the function named on its class.

A reading sets its own slot, so a redelivered message changes nothing. The detailed and
global stores are slot tables (see `slots`); the daily store counts through the tally
(see `tally` and `daily`), so a house's, a community's and the grid's day are exact sums
read in one get.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence

from smartgrid.events import ClientConsumption, DetailedConsumptionReading
from smartgrid.gridtime import day_of, parse_instant, slot_of
from smartgrid.stores.daily import GRID, MWH, CommunityLookup, DayItems, community_owner, resolve_communities
from smartgrid.stores.shards import GLOBAL_SHARDS, shard_of
from smartgrid.stores.slots import SlotTable, SlotWrite
from smartgrid.stores.tally import Contribution, Rollup, Tally


class DailyConsumptionStore:
    """daily-consumption-db: consumption per day (item per owner and day, `houseId`/`date`).

    Owners: a house (its readings' slots and `mwh`), `community#<id>` and `grid` (`mwh`).
    """

    def __init__(self, table_name: str) -> None:
        self.slots = SlotTable(table_name, "houseId", "date")
        self.items = DayItems(table_name, "houseId")

    def write(self, readings: Iterable[ClientConsumption], communities: CommunityLookup | None = None) -> int:
        """Counts each reading once in its house's, its community's and the grid's day; a
        reading without a community takes the house's from `communities` (else `unassigned`).
        Returns how many readings were new."""
        batch = list(readings)
        community = resolve_communities(((r.houseId, r.communityId) for r in batch), communities)
        contributions = []
        for reading in batch:
            moment = parse_instant(reading.timestamp)
            day = day_of(moment)
            house = self.items.key(reading.houseId, day)
            rollups = (
                Rollup(house, MWH),
                Rollup(
                    self.items.key(community_owner(community(reading.houseId, reading.communityId)), day), MWH
                ),
                Rollup(self.items.key(GRID, day), MWH),
            )
            contributions.append(Contribution(house, slot_of(moment), reading.mwh, rollups))
        return len(Tally().apply(contributions))

    def days(self, house_id: str, dates: Sequence[str]) -> dict[str, int]:
        """A house's total of each day (mWh)."""
        return self.items.totals(house_id, dates)

    def community_days(self, community_id: str, dates: Sequence[str]) -> dict[str, int]:
        return self.items.totals(community_owner(community_id), dates)

    def houses_days(self, house_ids: Collection[str], dates: Sequence[str]) -> dict[str, dict[str, int]]:
        """Each house's total of each day (mWh), house by house."""
        found = self.items.totals_of(house_ids, dates)
        return {h: {d: found[(h, d)] for d in dates} for h in house_ids}

    def grid_days(self, dates: Sequence[str]) -> dict[str, int]:
        return self.items.totals(GRID, dates)

    def slots_of_day(self, house_id: str, date: str) -> dict[str, int]:
        return self.slots.get((house_id, date))


class DetailedConsumptionStore:
    """consumption-detailed: each reading's objects (item per house-day and tick slot, an
    attribute per object: `houseDay`/`slot`, `s:<object>`).

    A reading is one item written, however many objects it carries (an item per object and
    day took one write per object, and grew to a day of slots); a day is one query.
    """

    def __init__(self, table_name: str) -> None:
        self.slots = SlotTable(table_name, "houseDay", "slot")

    def write(self, readings: Iterable[DetailedConsumptionReading]) -> int:
        writes: list[SlotWrite] = []
        for reading in readings:
            moment = parse_instant(reading.timestamp)
            key = (f"{reading.houseId}#{day_of(moment)}", slot_of(moment))
            writes.extend(SlotWrite(key, name, mwh) for name, mwh in reading.objects.items())
        return self.slots.write(writes)

    def objects(self, house_id: str, date: str) -> dict[str, dict[str, int]]:
        """Every object's slots for the day (object → slot → mWh)."""
        by_object: dict[str, dict[str, int]] = defaultdict(dict)
        for slot, objects in self.slots.query(f"{house_id}#{date}").items():
            for name, mwh in objects.items():
                by_object[name][slot] = mwh
        return dict(by_object)

    def objects_days(self, house_id: str, dates: Sequence[str]) -> dict[str, dict[str, int]]:
        """Each object's total of each day (mWh), day by day (days without readings are absent)."""
        found: dict[str, dict[str, int]] = {}
        for date in dates:
            objects = self.objects(house_id, date)
            if objects:
                found[date] = {name: sum(slots.values()) for name, slots in objects.items()}
        return found

    def object(self, house_id: str, date: str, name: str) -> dict[str, int]:
        return self.objects(house_id, date).get(name, {})


class GlobalConsumptionStore:
    """global-consumption-database: every house's total per tick.

    Item per day (`date`) and tick and shard (`slot` = `HH:MM#nn`), a slot per house: a
    tick's item for the whole grid would outgrow DynamoDB's 400 KB at ~18,000 houses, and
    every write pays for the size of the item it lands in. Items written before the shards
    (`slot` = `HH:MM`) are read the same.
    """

    def __init__(self, table_name: str) -> None:
        self.slots = SlotTable(table_name, "date", "slot")

    def write(self, readings: Iterable[ClientConsumption]) -> int:
        writes = []
        for reading in readings:
            moment = parse_instant(reading.timestamp)
            key = (day_of(moment), f"{slot_of(moment)}#{shard_of(reading.houseId, GLOBAL_SHARDS)}")
            writes.append(SlotWrite(key, reading.houseId, reading.mwh))
        return self.slots.write(writes)

    def ticks(self, date: str) -> dict[str, dict[str, int]]:
        """Tick (HH:MM) → house id → mWh, for one day."""
        found: dict[str, dict[str, int]] = defaultdict(dict)
        for slot, houses in self.slots.query(date).items():
            found[slot.partition("#")[0]].update(houses)
        return dict(found)
