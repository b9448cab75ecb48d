"""The real-energy store (owner: real-energy-output; daily-real-energy-output reads it).

EnergyTable (`pk`, `sk`):
- `<house> / HOUR#<YYYY-MM-DDTHH>`: the readings of that hour of the house (within the hour),
  one raw slot each, first write wins (`SET slot = if_not_exists(slot, value)`):
  `r:c:<minute>:<ticks>` its consumption, `r:p:<producer>:<minute>:<ticks>` a producer's,
  `r:b:<battery>:<minute>` a battery's state at a tick boundary (minutes of the day; a state
  at the hour's end is kept in both hours it bounds);
- `<house> / DAY#<date>`: the readings over more than an hour (a head-end's daily batch, a
  simulator's jump: one slot, not one per tick), and the house's day, hour by hour, in one
  attribute `hours` (JSON: `{"HH": {"v": "<hour slots>/<day slots>", "e": [six mWh]}}`, each
  hour's energy summed tick by tick, and the raw counts it was computed from) with `rev`, its
  revision (one small attribute: an update of one hour does not rewrite 24);
- `community#<id> / DAY#<date>` and `grid / DAY#<date>`: a community's and the grid's day
  (HouseEnergy fields, added up);
- `ACTIVE#<YYYY-MM-DDTHH>` and `ACTIVE#<date>` / `houses#<nn>`: which houses have readings in
  an hour (or over more than an hour that day), `h:<house>` = its community, over
  `ACTIVE_SHARDS` items by a hash of the house: what a judge reads. One item an hour held
  every house of the grid (300 KB at 10,000 houses, past DynamoDB's 400 KB at about 13,000), and
  each update of it rewrote all of it;
- `JUDGED#<date> / <tick>`: each judged tick as published (an outbox record).

Exactly once, and late readings never lost: raw slots only ever appear, and never change, so
an hour's energy is a function of its slots. After writing its slots a consumer recomputes
the hours they touch (reading the day item first, then the hour items: what it reads is at
least what the stored energy was computed from) and stores the hours whose counts grew, in a
transaction that adds the change to the community's and the grid's day, on condition that
the day's revision is still the one it read. A message delivered twice finds the counts equal
and writes nothing; two copies that race retry on fresh reads. A day-long reading costs one
slot and one recompute of its house's day, not a write per tick nor per hour.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.energy import FIELDS, HourInputs, Spread, hour_energies, hour_total, total
from smartgrid.events import BatteryState, ClientConsumption, HouseEnergy, ProductionReading
from smartgrid.gridtime import day_of, parse_instant
from smartgrid.stores.daily import UNASSIGNED, resolve_communities
from smartgrid.stores.outbox import Outbox
from smartgrid.stores.shards import shard_of
from smartgrid.stores.slots import in_transactions, transact_idempotent

EnergyReading = ClientConsumption | ProductionReading | BatteryState
CommunityLookup = Callable[[Iterable[str]], Mapping[str, str | None]]

RAW = "r:"
HOUR_PREFIX = "HOUR#"
DAY_PREFIX = "DAY#"
ACTIVE_PREFIX = "ACTIVE#"
ACTIVE_SK = "houses"
ACTIVE_SHARDS = 64  # ~160 houses an item at 10,000; an item holds ~13,000 (400 KB): ~800,000 houses
COMMUNITY = "community"
GRID = "grid"
SLOTS_PER_UPDATE = 40  # keeps an update expression well under DynamoDB's 4 KB
TRANSACTION_ITEMS = 100
GET_BATCH = 100
RETRIES = 8

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def community_owner(community_id: str) -> str:
    return f"community#{community_id}"


def _hour_key(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H")


def _minute_of(moment: datetime, day: str) -> int:
    """Minutes from the start of `day` (UTC) to `moment` (1440 for the next midnight)."""
    return int((moment - parse_instant(day + "T00:00:00Z")).total_seconds()) // 60


@dataclass(frozen=True)
class RawSlot:
    house: str
    sk: str
    name: str
    value: int
    community: str


@dataclass
class Touched:
    """A house's day to recompute: the hours its in-hour readings touched, and those its
    readings over more than an hour cover."""

    community: str
    hour_items: set[int] = field(default_factory=set)
    covered: set[int] = field(default_factory=set)


@dataclass
class _Plan:
    house: str
    day: str
    community: str
    hours: dict[str, Any]  # the day's hours as they will be stored
    revision: int | None  # the revision read (None: no hours stored yet)
    delta: dict[str, int]


def stored_hours(item: Mapping[str, Any]) -> dict[str, Any]:
    """A day item's hours: "HH" -> {"v": counts, "e": [mWh in FIELDS order]}."""
    return dict(json.loads(str(item["hours"]))) if "hours" in item else {}


def hour_energy(entry: Mapping[str, Any] | None) -> HouseEnergy:
    return HouseEnergy(**dict(zip(FIELDS, entry["e"], strict=True))) if entry else HouseEnergy()


def _plain(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in raw.items()}


def _raw_count(item: Mapping[str, Any]) -> int:
    return sum(1 for name in item if name.startswith(RAW))


def energy_of(value: Mapping[str, Any] | None) -> HouseEnergy:
    return HouseEnergy(**{name: int((value or {}).get(name, 0)) for name in FIELDS})


def hour_inputs(hour: int, hour_item: Mapping[str, Any], day_item: Mapping[str, Any]) -> HourInputs:
    """An hour's inputs from its raw slots and the day's readings over more than an hour."""
    inputs = HourInputs(hour=hour)
    for item in (hour_item, day_item):
        for name, value in item.items():
            if not name.startswith(RAW):
                continue
            parts = name.split(":")
            kind = parts[1]
            if kind == "b":
                states = inputs.batteries.setdefault(":".join(parts[2:-1]), {})
                states[int(parts[-1])] = int(value)
                continue
            spread = Spread(start=int(parts[-2]), ticks=int(parts[-1]), mwh=int(value))
            (inputs.consumption if kind == "c" else inputs.production).append(spread)
    return inputs


class EnergyStore:
    def __init__(self, table_name: str, tick_minutes: int) -> None:
        self.table_name = table_name
        self.tick_minutes = tick_minutes
        self.judged = Outbox(table_name)

    # Keys --------------------------------------------------------------------------------
    @staticmethod
    def _key(pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    # Placing readings --------------------------------------------------------------------
    def place(
        self, readings: Iterable[EnergyReading], communities_of: CommunityLookup | None
    ) -> tuple[list[RawSlot], dict[tuple[str, str], Touched]]:
        """Each house reading's raw slot(s), and the house days they touch. A utility
        producer's production is not a house's: it is left out."""
        batch = [r for r in readings if not (isinstance(r, ProductionReading) and not _house_of(r))]
        community = resolve_communities(
            ((_house_of(r), getattr(r, "communityId", None)) for r in batch), communities_of
        )
        slots: list[RawSlot] = []
        touched: dict[tuple[str, str], Touched] = {}
        tick = timedelta(minutes=self.tick_minutes)
        for reading in batch:
            house = _house_of(reading)
            owner = community(house, getattr(reading, "communityId", None))
            moment = parse_instant(reading.timestamp)
            day = day_of(moment)
            if isinstance(reading, BatteryState):
                # A state bounds the tick before it and the tick after it: kept in both hours.
                for hour_of in {_hour_key(moment), _hour_key(moment - tick)}:
                    hour_day = hour_of[:10]
                    name = f"{RAW}b:{reading.batteryId}:{_minute_of(moment, hour_day)}"
                    slots.append(RawSlot(house, HOUR_PREFIX + hour_of, name, reading.storedMwh, owner))
                    entry = touched.setdefault((house, hour_day), Touched(owner))
                    entry.hour_items.add(int(hour_of[11:13]))
                continue
            kind = "c" if isinstance(reading, ClientConsumption) else f"p:{reading.producerId}"
            ticks = max(1, reading.durationMinutes // self.tick_minutes)
            last = moment + (ticks - 1) * tick
            name = f"{RAW}{kind}:{_minute_of(moment, day)}:{ticks}"
            entry = touched.setdefault((house, day), Touched(owner))
            if _hour_key(moment) == _hour_key(last):
                slots.append(RawSlot(house, HOUR_PREFIX + _hour_key(moment), name, reading.mwh, owner))
                entry.hour_items.add(moment.hour)
            else:
                slots.append(RawSlot(house, DAY_PREFIX + day, name, reading.mwh, owner))
                entry.covered.update(range(moment.hour, (last.hour if day_of(last) == day else 23) + 1))
        return slots, touched

    # Writing -----------------------------------------------------------------------------
    def add(self, readings: Iterable[EnergyReading], communities_of: CommunityLookup | None = None) -> int:
        """Stores each reading once and brings the house days it touches up to date; how
        many raw slots the readings hold."""
        slots, touched = self.place(readings, communities_of)
        self._write_raw(slots)
        self.settle(touched)
        return len(slots)

    def _write_raw(self, slots: Sequence[RawSlot]) -> None:
        by_item: dict[tuple[str, str], dict[str, int | str]] = defaultdict(dict)
        communities: dict[tuple[str, str], str] = {}
        active: dict[tuple[str, str], dict[str, int | str]] = defaultdict(dict)
        for slot in slots:
            by_item[(slot.house, slot.sk)].setdefault(slot.name, slot.value)
            communities[(slot.house, slot.sk)] = slot.community
            period = slot.sk.split("#", 1)[1]
            active[(ACTIVE_PREFIX + period, _active_sk(slot.house))][f"h:{slot.house}"] = slot.community
        actions: list[dict[str, Any]] = []
        for key, named in [*by_item.items(), *active.items()]:
            names = sorted(named)
            for start in range(0, len(names), SLOTS_PER_UPDATE):
                part = {n: named[n] for n in names[start : start + SLOTS_PER_UPDATE]}
                if key in communities:
                    part[COMMUNITY] = communities[key]
                actions.append(self._first_wins(key, part))
        self._transact_all(actions)

    def _first_wins(self, key: tuple[str, str], values: Mapping[str, int | str]) -> dict[str, Any]:
        names = {f"#n{i}": name for i, name in enumerate(values)}
        clause = "#n{0} = if_not_exists(#n{0}, :v{0})"
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": self._key(*key),
                "UpdateExpression": "SET " + ", ".join(clause.format(i) for i in range(len(values))),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {
                    f":v{i}": _serializer.serialize(value) for i, value in enumerate(values.values())
                },
            }
        }

    def _transact_all(self, actions: list[dict[str, Any]]) -> None:
        """Idempotent actions, up to TRANSACTION_ITEMS a call (an item once per call)."""
        in_transactions(actions, partial(transact_idempotent, retries=RETRIES), TRANSACTION_ITEMS)

    def settle(self, touched: Mapping[tuple[str, str], Touched]) -> None:
        """Recomputes the touched hours of each house day and stores those whose counts
        grew, with their change added to the community's and the grid's day."""
        pending = dict(touched)
        for _ in range(RETRIES):
            if not pending:
                return
            plans = self._plans(pending)
            failed = self._commit(plans)
            pending = {key: pending[key] for key in failed}
        raise RuntimeError(f"house days still contended after {RETRIES} tries: {sorted(pending)[:5]}")

    def _plans(self, pending: Mapping[tuple[str, str], Touched]) -> list[_Plan]:
        # The day items first, then the hour items: an hour read after its stored energy
        # holds at least the slots that energy was computed from.
        days = self._get_many([(house, DAY_PREFIX + day) for house, day in pending])
        wanted: list[tuple[str, str]] = []
        for (house, day), entry in pending.items():
            hours = stored_hours(days.get((house, DAY_PREFIX + day), {}))
            for hour in entry.hour_items | entry.covered:
                version = str(hours.get(f"{hour:02d}", {}).get("v", "0/0"))
                if hour in entry.hour_items or version.split("/")[0] != "0":
                    wanted.append((house, f"{HOUR_PREFIX}{day}T{hour:02d}"))
        hour_items = self._get_many(wanted)
        plans: list[_Plan] = []
        for (house, day), entry in pending.items():
            stored = days.get((house, DAY_PREFIX + day), {})
            hours = stored_hours(stored)
            day_count = _raw_count(stored)
            old_sum, new_sum = [], []
            for hour in sorted(entry.hour_items | entry.covered):
                hour_item = hour_items.get((house, f"{HOUR_PREFIX}{day}T{hour:02d}"), {})
                version = f"{_raw_count(hour_item)}/{day_count}"
                name = f"{hour:02d}"
                if hours.get(name, {}).get("v") == version:
                    continue
                inputs = hour_inputs(hour, hour_item, stored)
                energy = hour_total(inputs, self.tick_minutes)
                old_sum.append(hour_energy(hours.get(name)))
                new_sum.append(energy)
                hours[name] = {"v": version, "e": [getattr(energy, n) for n in FIELDS]}
            if new_sum:
                old, new = total(old_sum), total(new_sum)
                revision = int(stored["rev"]) if "rev" in stored else None
                community = str(stored.get(COMMUNITY) or entry.community)
                delta = {n: getattr(new, n) - getattr(old, n) for n in FIELDS}
                plans.append(_Plan(house, day, community, dict(sorted(hours.items())), revision, delta))
        return plans

    def _commit(self, plans: list[_Plan]) -> set[tuple[str, str]]:
        """Writes the plans, a transaction per chunk; the house days of chunks that failed."""
        failed: set[tuple[str, str]] = set()
        chunk: list[_Plan] = []
        rollups: set[tuple[str, str]] = set()
        for plan in sorted(plans, key=lambda p: (p.day, p.community, p.house)):
            needed = {(community_owner(plan.community), plan.day), (GRID, plan.day)}
            if chunk and len(chunk) + 1 + len(rollups | needed) > TRANSACTION_ITEMS:
                failed |= self._commit_chunk(chunk)
                chunk, rollups = [], set()
            chunk.append(plan)
            rollups |= needed
        if chunk:
            failed |= self._commit_chunk(chunk)
        return failed

    def _commit_chunk(self, chunk: list[_Plan]) -> set[tuple[str, str]]:
        adds: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
        actions = []
        for plan in chunk:
            actions.append(self._day_update(plan))
            for owner in (community_owner(plan.community), GRID):
                sums = adds[(owner, plan.day)]
                for name, value in plan.delta.items():
                    sums[name] += value
        for (owner, day), sums in adds.items():
            changed = {n: v for n, v in sums.items() if v}
            if changed:
                names = {f"#a{i}": n for i, n in enumerate(changed)}
                actions.append(
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": self._key(owner, DAY_PREFIX + day),
                            "UpdateExpression": "ADD "
                            + ", ".join(f"#a{i} :a{i}" for i in range(len(changed))),
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": {
                                f":a{i}": {"N": str(v)} for i, v in enumerate(changed.values())
                            },
                        }
                    }
                )
        dynamodb = aws.client("dynamodb")
        try:
            if len(actions) == 1:
                dynamodb.update_item(**actions[0]["Update"])
            else:
                dynamodb.transact_write_items(TransactItems=actions)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code not in {
                "ConditionalCheckFailedException",
                "TransactionCanceledException",
                "TransactionConflictException",
            }:
                raise
            return {(plan.house, plan.day) for plan in chunk}
        return set()

    def _day_update(self, plan: _Plan) -> dict[str, Any]:
        update: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": self._key(plan.house, DAY_PREFIX + plan.day),
            "UpdateExpression": "SET #c = if_not_exists(#c, :c), #h = :h, #r = :r",
            "ExpressionAttributeNames": {"#c": COMMUNITY, "#h": "hours", "#r": "rev"},
            "ExpressionAttributeValues": {
                ":c": {"S": plan.community},
                ":h": {"S": json.dumps(plan.hours, separators=(",", ":"))},
                ":r": {"N": str((plan.revision or 0) + 1)},
            },
        }
        if plan.revision is None:
            update["ConditionExpression"] = "attribute_not_exists(#r)"
        else:
            update["ConditionExpression"] = "#r = :was"
            update["ExpressionAttributeValues"][":was"] = {"N": str(plan.revision)}
        return {"Update": update}

    def _get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Items by (pk, sk), read consistently (absent items are left out)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[tuple[str, str], dict[str, Any]] = {}
        dynamodb = aws.client("dynamodb")
        for start in range(0, len(wanted), GET_BATCH):
            request: dict[str, Any] = {
                self.table_name: {
                    "Keys": [self._key(*k) for k in wanted[start : start + GET_BATCH]],
                    "ConsistentRead": True,
                }
            }
            while request:
                answer = dynamodb.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(self.table_name, []):
                    item = _plain(raw)
                    found[(str(item["pk"]), str(item["sk"]))] = item
                request = answer.get("UnprocessedKeys") or {}
        return found

    # Reading -----------------------------------------------------------------------------
    def house_days(self, house_id: str, dates: Sequence[str]) -> dict[str, HouseEnergy]:
        """A house's energy of each day (every late reading in), summed tick by tick."""
        items = self._get_many((house_id, DAY_PREFIX + d) for d in dates)
        found: dict[str, HouseEnergy] = {}
        for date in dates:
            item = items.get((house_id, DAY_PREFIX + date), {})
            found[date] = total(hour_energy(entry) for entry in stored_hours(item).values())
        return found

    def bought_sold(self, house_id: str, dates: Sequence[str]) -> dict[str, tuple[int, int]]:
        """What a house bought from and sold to the grid each day (mWh), summed tick by tick:
        what a bill charges and credits. One read per hundred days."""
        return {d: (e.boughtMwh, e.soldMwh) for d, e in self.house_days(house_id, dates).items()}

    def owner_days(self, owners: Sequence[str], dates: Sequence[str]) -> dict[tuple[str, str], HouseEnergy]:
        """The days of rollup owners (`community#<id>`, `grid`), keyed (owner, date)."""
        items = self._get_many((o, DAY_PREFIX + d) for o in owners for d in dates)
        return {(o, d): energy_of(items.get((o, DAY_PREFIX + d))) for o in owners for d in dates}

    def community_days(self, community_id: str, dates: Sequence[str]) -> dict[str, HouseEnergy]:
        owner = community_owner(community_id)
        return {d: e for (_, d), e in self.owner_days([owner], dates).items()}

    def grid_days(self, dates: Sequence[str]) -> dict[str, HouseEnergy]:
        return {d: e for (_, d), e in self.owner_days([GRID], dates).items()}

    # Judging -----------------------------------------------------------------------------
    def tick_energies(self, tick_starts: Sequence[str]) -> dict[str, dict[str, dict[str, HouseEnergy]]]:
        """For each tick: community → house → its energy over the tick, for every house with
        something (a reading, a battery state) in it, from what is stored now."""
        by_hour: dict[str, list[datetime]] = defaultdict(list)
        for start in tick_starts:
            moment = parse_instant(start)
            by_hour[_hour_key(moment)].append(moment)
        found: dict[str, dict[str, dict[str, HouseEnergy]]] = {}
        for hour_key, moments in by_hour.items():
            day = hour_key[:10]
            active = self._get_many(
                (ACTIVE_PREFIX + period, f"{ACTIVE_SK}#{shard:02d}")
                for period in (hour_key, day)
                for shard in range(ACTIVE_SHARDS)
            )
            houses: dict[str, str] = {}
            for item in active.values():
                for name, community in item.items():
                    if name.startswith("h:"):
                        houses.setdefault(name[2:], str(community))
            items = self._get_many(
                [(h, HOUR_PREFIX + hour_key) for h in houses] + [(h, DAY_PREFIX + day) for h in houses]
            )
            hour = int(hour_key[11:13])
            per_house = {
                house: hour_energies(
                    hour_inputs(
                        hour,
                        items.get((house, HOUR_PREFIX + hour_key), {}),
                        items.get((house, DAY_PREFIX + day), {}),
                    ),
                    self.tick_minutes,
                )
                for house in houses
            }
            for moment in moments:
                minute = _minute_of(moment, day)
                ticks: dict[str, dict[str, HouseEnergy]] = {}
                for house, energies in sorted(per_house.items()):
                    if minute in energies:
                        ticks.setdefault(houses[house] or UNASSIGNED, {})[house] = energies[minute]
                found[_iso(moment)] = ticks
        return found

    @staticmethod
    def judged_key(tick_start: str) -> dict[str, str]:
        return {"pk": "JUDGED#" + tick_start[:10], "sk": tick_start}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _active_sk(house: str) -> str:
    return f"{ACTIVE_SK}#{shard_of(house, ACTIVE_SHARDS)}"


def _house_of(reading: EnergyReading) -> str:
    return reading.houseId or ""
