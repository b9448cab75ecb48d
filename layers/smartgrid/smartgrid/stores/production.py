"""The production stores, each owned by the function named on its class.

House producers (a house's solar panels) and utility producers are kept apart in both: the
global store files each tick under its kind, and the daily store rolls each kind up into a
grid day of its own (`grid#house`, `grid#utility`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any, Literal

from smartgrid import aws
from smartgrid.events import ProductionReading
from smartgrid.gridtime import day_of, parse_instant, slot_of
from smartgrid.stores.daily import GRID, MWH, CommunityLookup, DayItems, community_owner, resolve_communities
from smartgrid.stores.shards import GLOBAL_SHARDS, shard_of
from smartgrid.stores.slots import SLOT_PREFIX, SlotTable, SlotWrite
from smartgrid.stores.tally import Contribution, Rollup, Tally

Kind = Literal["house", "utility"]
KINDS: tuple[Kind, ...] = ("house", "utility")


def grid_owner(kind: str) -> str:
    return f"{GRID}#{kind}"


class GlobalProductionStore:
    """global-production-database: every producer's production per tick, as received.

    Item per day (`date`) and kind, shard and tick (`slot` = `<kind>#s<nn>#HH:MM`), a slot
    per producer: the same reading delivered twice sets the same value again. The shard (a
    hash of the producer, see `shards`) keeps an item under DynamoDB's 400 KB however many
    houses produce, and comes before the tick so that a producer's day is one shard's
    items. Items written before the shards (`<kind>#HH:MM`) are read the same.
    """

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.slots = SlotTable(table_name, "date", "slot")

    def write(self, readings: Iterable[ProductionReading]) -> int:
        writes = []
        for reading in readings:
            moment = parse_instant(reading.timestamp)
            key = (day_of(moment), f"{_shard_prefix(reading.kind, reading.producerId)}{slot_of(moment)}")
            writes.append(SlotWrite(key, reading.producerId, reading.mwh))
        return self.slots.write(writes)

    def ticks(self, date: str, kind: Kind) -> dict[str, dict[str, int]]:
        """Tick (HH:MM) → producer id → mWh, for one day and one kind of producer."""
        found: dict[str, dict[str, int]] = defaultdict(dict)
        for slot, producers in self.slots.query(date, f"{kind}#").items():
            found[_tick_of(slot)].update(producers)
        return dict(sorted(found.items()))

    def producer(self, date: str, kind: Kind, producer_id: str) -> dict[str, int]:
        """Tick (HH:MM) → mWh of one producer for one day: its shard's items, and the items
        from before the shards (only its own attribute is read back)."""
        found: dict[str, int] = {}
        for condition, values in (
            ("begins_with(#slot, :prefix)", {":prefix": _shard_prefix(kind, producer_id)}),
            ("#slot BETWEEN :first AND :last", {":first": f"{kind}#0", ":last": f"{kind}#3"}),
        ):
            found.update(self._producer_query(date, producer_id, condition, values))
        return dict(sorted(found.items()))

    def _producer_query(
        self, date: str, producer_id: str, slot_condition: str, values: dict[str, str]
    ) -> dict[str, int]:
        dynamodb = aws.client("dynamodb")
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": f"#date = :date AND {slot_condition}",
            "ProjectionExpression": "#slot, #producer",
            "ExpressionAttributeNames": {
                "#date": "date",
                "#slot": "slot",
                "#producer": SLOT_PREFIX + producer_id,
            },
            "ExpressionAttributeValues": {
                ":date": {"S": date},
                **{name: {"S": value} for name, value in values.items()},
            },
        }
        found: dict[str, int] = {}
        while True:
            answer = dynamodb.query(**params)
            for item in answer.get("Items", []):
                value = item.get(SLOT_PREFIX + producer_id)
                if value is not None:
                    found[_tick_of(item["slot"]["S"])] = int(value["N"])
            if "LastEvaluatedKey" not in answer:
                return found
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _shard_prefix(kind: str, producer_id: str) -> str:
    return f"{kind}#s{shard_of(producer_id, GLOBAL_SHARDS)}#"


def _tick_of(slot: str) -> str:
    """HH:MM from `<kind>#s<nn>#HH:MM`, or from `<kind>#HH:MM` (before the shards)."""
    return slot.rpartition("#")[2]


class DailyProductionStore:
    """daily-production-db: production per day (item per owner and day, `producerId`/`date`).

    Owners: a producer (its readings' slots and `mwh`), `grid#house` and `grid#utility`,
    and `community#<id>` for the production of a community's houses (`mwh`).
    """

    def __init__(self, table_name: str) -> None:
        self.items = DayItems(table_name, "producerId")

    def write(self, readings: Iterable[ProductionReading], communities: CommunityLookup | None = None) -> int:
        """Counts each reading once in its producer's day, its kind's grid day and, for a
        house producer, its community's day (looked up in `communities` when the reading
        carries none; else `unassigned`). Returns how many readings were new."""
        batch = list(readings)
        community = resolve_communities(
            ((r.houseId, r.communityId) for r in batch if r.kind == "house"), communities
        )
        contributions = []
        for reading in batch:
            moment = parse_instant(reading.timestamp)
            day = day_of(moment)
            producer = self.items.key(reading.producerId, day)
            rollups = [Rollup(producer, MWH), Rollup(self.items.key(grid_owner(reading.kind), day), MWH)]
            if reading.kind == "house":
                owner = community_owner(community(reading.houseId, reading.communityId))
                rollups.append(Rollup(self.items.key(owner, day), MWH))
            contributions.append(Contribution(producer, slot_of(moment), reading.mwh, tuple(rollups)))
        return len(Tally().apply(contributions))

    def days(self, producer_id: str, dates: Sequence[str]) -> dict[str, int]:
        """A producer's total of each day (mWh)."""
        return self.items.totals(producer_id, dates)

    def producers_days(
        self, producer_ids: Collection[str], dates: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """Each producer's total of each day (mWh), producer by producer."""
        found = self.items.totals_of(producer_ids, dates)
        return {p: {d: found[(p, d)] for d in dates} for p in producer_ids}

    def grid_days(self, dates: Sequence[str]) -> dict[str, dict[Kind, int]]:
        """Each day's production of house producers and of utility producers (mWh)."""
        found = self.items.totals_of([grid_owner(k) for k in KINDS], dates)
        return {d: {k: found[(grid_owner(k), d)] for k in KINDS} for d in dates}

    def community_days(self, community_id: str, dates: Sequence[str]) -> dict[str, int]:
        """The production of a community's houses, each day (mWh)."""
        return self.items.totals(community_owner(community_id), dates)
