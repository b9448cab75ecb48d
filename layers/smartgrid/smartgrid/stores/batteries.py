"""The batteries table (owner: the battery service; battery-provider writes it as it accepts,
battery and others read it through this class).

Per battery (partition `batteryId`, a battery id is `b-<houseId>`: a house's battery is a
get on a known key):
- `info`: the battery (house, capacity, rates), its latest accepted state (`latestAt`,
  `latestMwh`: what the next state is judged against), and the `battery.subscription` to
  publish once (the outbox's `payload`/`published`);
- `day#YYYY-MM-DD`: that day's accepted states, one slot a tick boundary (`s:HH:MM` = mWh).
  A day of states is one get; a day holds at most 1,440 slots (about 20 KB).
States are written with the info's new latest in one transaction, conditioned on the latest
the judge saw: two writers for one battery never both pass, and nothing is kept half-way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.batteries import BatterySpec, BatteryView, State, state_view
from smartgrid.errors import Conflict, NotFound
from smartgrid.gridtime import day_of, iso, parse_instant, slot_of
from smartgrid.stores.items import items_by_key
from smartgrid.stores.outbox import Outbox
from smartgrid.stores.slots import SLOT_PREFIX, slots_of
from smartgrid.units import mwh_to_wh

INFO = "info"
DAY_PREFIX = "day#"
STATES_PER_WRITE = 50  # per transaction: the update expressions stay well under 4 KB
GET_BATCH = 100


class StateMoved(Exception):
    """Another writer changed the battery's latest state since it was read."""


@dataclass(frozen=True)
class BatteryRecord:
    batteryId: str
    houseId: str
    capacityMwh: int
    maxChargeW: float
    maxDischargeW: float
    registeredAt: str
    latest: State | None = None

    @property
    def spec(self) -> BatterySpec:
        return BatterySpec(self.capacityMwh, self.maxChargeW, self.maxDischargeW)

    def view(self) -> BatteryView:
        return BatteryView(
            batteryId=self.batteryId,
            houseId=self.houseId,
            capacityWh=mwh_to_wh(self.capacityMwh),
            maxChargeW=self.maxChargeW,
            maxDischargeW=self.maxDischargeW,
            registeredAt=self.registeredAt,
            latestState=state_view(self.latest) if self.latest else None,
        )


def info_key(battery_id: str) -> dict[str, str]:
    return {"batteryId": battery_id, "part": INFO}


def _day_part(moment: datetime) -> str:
    return DAY_PREFIX + day_of(moment)


def _record(item: dict[str, Any]) -> BatteryRecord:
    latest = None
    if "latestAt" in item:
        latest = State(parse_instant(str(item["latestAt"])), int(item["latestMwh"]))
    return BatteryRecord(
        batteryId=str(item["batteryId"]),
        houseId=str(item["houseId"]),
        capacityMwh=int(item["capacityMwh"]),
        maxChargeW=float(item["maxChargeW"]),
        maxDischargeW=float(item["maxDischargeW"]),
        registeredAt=str(item["registeredAt"]),
        latest=latest,
    )


class BatteriesRepository:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.table = aws.dynamodb_table(table_name)
        self.outbox = Outbox(table_name)

    # The battery ----------------------------------------------------------------------
    def create(self, record: BatteryRecord, subscription: str) -> None:
        """Stores a new battery with its subscription to publish; Conflict if it exists."""
        attributes = {
            "houseId": record.houseId,
            "capacityMwh": record.capacityMwh,
            "maxChargeW": record.maxChargeW,
            "maxDischargeW": record.maxDischargeW,
            "registeredAt": record.registeredAt,
        }
        try:
            self.table.put_item(
                Item=self.outbox.item(info_key(record.batteryId), subscription, attributes),
                ConditionExpression="attribute_not_exists(batteryId)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"battery {record.batteryId} exists already", field="houseId") from error
            raise

    def get(self, battery_id: str) -> BatteryRecord | None:
        item = self.table.get_item(Key=info_key(battery_id), ConsistentRead=True).get("Item")
        return _record(item) if item else None

    def require(self, battery_id: str) -> BatteryRecord:
        found = self.get(battery_id)
        if found is None:
            raise NotFound(f"no battery {battery_id}", field="batteryId")
        return found

    def get_many(self, battery_ids: Iterable[str]) -> dict[str, BatteryRecord]:
        wanted = list(dict.fromkeys(battery_ids))
        found: dict[str, BatteryRecord] = {}
        for start in range(0, len(wanted), GET_BATCH):
            keys = [info_key(b) for b in wanted[start : start + GET_BATCH]]
            for item in self._batch_get(keys):
                record = _record(item)
                found[record.batteryId] = record
        return found

    # Its states -----------------------------------------------------------------------
    def stored_at(self, battery_id: str, instants: Iterable[datetime]) -> dict[datetime, int]:
        """The accepted states at these instants (those that exist)."""
        moments = list(dict.fromkeys(instants))
        days = sorted({_day_part(m) for m in moments})
        slots: dict[str, dict[str, int]] = {}
        for item in self._batch_get([{"batteryId": battery_id, "part": d} for d in days]):
            slots[str(item["part"])] = slots_of(item)
        found: dict[datetime, int] = {}
        for moment in moments:
            value = slots.get(_day_part(moment), {}).get(slot_of(moment))
            if value is not None:
                found[moment] = value
        return found

    def between(self, battery_id: str, first: datetime, last: datetime) -> list[State]:
        """The accepted states at instants in [first, last], in time order (at most a few days)."""
        day = first.replace(hour=0, minute=0, second=0, microsecond=0)
        days: list[str] = []
        while day <= last:
            days.append(day_of(day))
            day += timedelta(days=1)
        states: list[State] = []
        items = self._batch_get([{"batteryId": battery_id, "part": DAY_PREFIX + d} for d in days])
        for item in items:
            date = str(item["part"])[len(DAY_PREFIX) :]
            for slot, mwh in slots_of(item).items():
                moment = parse_instant(f"{date}T{slot}:00Z")
                if first <= moment <= last:
                    states.append(State(moment, mwh))
        return sorted(states, key=lambda s: s.at)

    def record(self, battery_id: str, previous: State | None, states: Sequence[State]) -> None:
        """Stores accepted states (in time order, after `previous`) and moves the latest to
        the last of them; StateMoved if the latest is no longer `previous`. Chunks go one
        after the other, each conditioned on the one before: a failure keeps a prefix."""
        seen = previous
        for start in range(0, len(states), STATES_PER_WRITE):
            chunk = states[start : start + STATES_PER_WRITE]
            self._write(battery_id, seen, chunk)
            seen = chunk[-1]

    def _write(self, battery_id: str, previous: State | None, states: Sequence[State]) -> None:
        serializer = TypeSerializer()
        last = states[-1]
        condition = "latestAt = :seen" if previous else "attribute_not_exists(latestAt)"
        values: dict[str, Any] = {":at": {"S": iso(last.at)}, ":mwh": {"N": str(last.mwh)}}
        if previous:
            values[":seen"] = {"S": iso(previous.at)}
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": {k: serializer.serialize(v) for k, v in info_key(battery_id).items()},
                    "UpdateExpression": "SET latestAt = :at, latestMwh = :mwh",
                    "ConditionExpression": f"attribute_exists(batteryId) AND {condition}",
                    "ExpressionAttributeValues": values,
                }
            }
        ]
        by_day: dict[str, dict[str, int]] = defaultdict(dict)
        for state in states:
            by_day[_day_part(state.at)][slot_of(state.at)] = state.mwh
        for part, slots in sorted(by_day.items()):
            names = sorted(slots)
            actions.append(
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": {"batteryId": {"S": battery_id}, "part": {"S": part}},
                        "UpdateExpression": "SET " + ", ".join(f"#n{i} = :v{i}" for i in range(len(names))),
                        "ExpressionAttributeNames": {f"#n{i}": SLOT_PREFIX + n for i, n in enumerate(names)},
                        "ExpressionAttributeValues": {
                            f":v{i}": {"N": str(slots[n])} for i, n in enumerate(names)
                        },
                    }
                }
            )
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise StateMoved(battery_id) from error
            raise

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        return items_by_key(self.table_name, list(keys))
