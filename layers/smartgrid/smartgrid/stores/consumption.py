"""The consumption stores, each owned by the function named on its class.

All are slot tables (see `slots`): a reading sets its own slot, so a redelivered message
changes nothing, and a day's total is the sum of its slots.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from smartgrid.events import ClientConsumption, DetailedConsumptionReading
from smartgrid.gridtime import day_of, parse_instant, slot_of
from smartgrid.stores.slots import SlotTable, SlotWrite


class DailyConsumptionStore:
    """daily-consumption-db: a house's consumption per day (item per house and day)."""

    def __init__(self, table_name: str) -> None:
        self.slots = SlotTable(table_name, "houseId", "date")

    def write(self, readings: Iterable[ClientConsumption]) -> int:
        writes = []
        for reading in readings:
            moment = parse_instant(reading.timestamp)
            writes.append(SlotWrite((reading.houseId, day_of(moment)), slot_of(moment), reading.mwh))
        return self.slots.write(writes)

    def days(self, house_id: str, dates: Sequence[str]) -> dict[str, int]:
        found = self.slots.get_many((house_id, d) for d in dates)
        return {d: sum(found.get((house_id, d), {}).values()) for d in dates}

    def slots_of_day(self, house_id: str, date: str) -> dict[str, int]:
        return self.slots.get((house_id, date))


class DetailedConsumptionStore:
    """consumption-detailed: each object's readings (item per house, day and object)."""

    def __init__(self, table_name: str) -> None:
        self.slots = SlotTable(table_name, "houseDay", "object")

    def write(self, readings: Iterable[DetailedConsumptionReading]) -> int:
        writes: list[SlotWrite] = []
        for reading in readings:
            moment = parse_instant(reading.timestamp)
            house_day = f"{reading.houseId}#{day_of(moment)}"
            slot = slot_of(moment)
            writes.extend(SlotWrite((house_day, name), slot, mwh) for name, mwh in reading.objects.items())
        return self.slots.write(writes)

    def objects(self, house_id: str, date: str) -> dict[str, dict[str, int]]:
        """Every object's slots for the day."""
        return self.slots.query(f"{house_id}#{date}")

    def object(self, house_id: str, date: str, name: str) -> dict[str, int]:
        return self.slots.get((f"{house_id}#{date}", name))


class GlobalConsumptionStore:
    """global-consumption-database: every house's total per tick (item per day and tick)."""

    def __init__(self, table_name: str) -> None:
        self.slots = SlotTable(table_name, "date", "slot")

    def write(self, readings: Iterable[ClientConsumption]) -> int:
        writes = []
        for reading in readings:
            moment = parse_instant(reading.timestamp)
            writes.append(SlotWrite((day_of(moment), slot_of(moment)), reading.houseId, reading.mwh))
        return self.slots.write(writes)

    def ticks(self, date: str) -> dict[str, dict[str, int]]:
        """Tick (HH:MM) → house id → mWh, for one day."""
        return self.slots.query(date)
