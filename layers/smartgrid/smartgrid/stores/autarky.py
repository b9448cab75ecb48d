"""Autarky (owner: autarky-oversight; autarky-api reads it).

AutarkyTable (`subject`, `key`), a subject being `house#<id>` or `community#<id>`:
- `E#<YYYY-MM-DDTHH>`: the subject's ticks of that hour, two slots a tick, `s:<MM>:s` its
  own supply and `s:<MM>:c` its consumption (mWh), set with `SET` (see `slots`): an event
  delivered twice writes the same values, and a window's sums are taken on read, exact.
  A community's slots are written with its houses', so a tick whose community slot is set
  is a tick whose event is in (a "known" tick);
- `STATE`: its autarky as last changed (`autarkic`, `since`, `tick`: the tick that changed it);
- `C#<tick>`: each change, stored once with the notification it sends (an `outbox` record),
  in the same transaction as the state, and published once;
- for a community, `CURSOR`: the last tick judged (`through`) and every house seen in its
  events (`members`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.autarky import COMMUNITY, Change, Energy, SubjectState, subject_key
from smartgrid.events import ClientNotification
from smartgrid.gridtime import iso, parse_instant
from smartgrid.stores.items import every_item
from smartgrid.stores.outbox import Outbox, Record
from smartgrid.stores.slots import SlotTable, SlotWrite

STATE = "STATE"
CURSOR = "CURSOR"
ENERGY = "E#"
CHANGE = "C#"
SUPPLY, CONSUMPTION = "s", "c"


def _hour_key(moment: datetime) -> str:
    return ENERGY + moment.strftime("%Y-%m-%dT%H")


def _hours(first: datetime, last: datetime) -> list[datetime]:
    hour = first.replace(minute=0, second=0, microsecond=0)
    found = []
    while hour <= last:
        found.append(hour)
        hour += timedelta(hours=1)
    return found


def _ticks_of(hour_key: str, slots: dict[str, int]) -> dict[datetime, Energy]:
    """An hour item's slots, tick by tick."""
    hour = parse_instant(hour_key[len(ENERGY) :] + ":00:00Z")
    parts: dict[datetime, dict[str, int]] = defaultdict(dict)
    for name, value in slots.items():
        minute, _, measure = name.partition(":")
        parts[hour + timedelta(minutes=int(minute))][measure] = value
    return {
        tick: Energy(supply=values.get(SUPPLY, 0), consumption=values.get(CONSUMPTION, 0))
        for tick, values in parts.items()
        if CONSUMPTION in values
    }


@dataclass(frozen=True)
class Cursor:
    through: datetime
    members: list[str] = field(default_factory=list)


class AutarkyStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.slots = SlotTable(table_name, "subject", "key")
        self.outbox = Outbox(table_name)
        self.table = self.outbox.table

    # Ticks --------------------------------------------------------------------------------
    def write_energies(self, entries: Iterable[tuple[str, datetime, Energy]]) -> None:
        writes: list[SlotWrite] = []
        for subject, tick, energy in entries:
            key = (subject, _hour_key(tick))
            minute = tick.strftime("%M")
            writes.append(SlotWrite(key, f"{minute}:{SUPPLY}", energy.supply))
            writes.append(SlotWrite(key, f"{minute}:{CONSUMPTION}", energy.consumption))
        self.slots.write(writes)

    def energies(
        self, subjects: Sequence[str], first: datetime, last: datetime
    ) -> dict[str, dict[datetime, Energy]]:
        """Each subject's ticks in [first, last] that were received."""
        hours = _hours(first, last)
        found = self.slots.get_many((s, _hour_key(h)) for s in subjects for h in hours)
        by_subject: dict[str, dict[datetime, Energy]] = defaultdict(dict)
        for (subject, hour_key), slots in found.items():
            for tick, energy in _ticks_of(hour_key, slots).items():
                if first <= tick <= last:
                    by_subject[subject][tick] = energy
        return dict(by_subject)

    def known_ticks(self, community_id: str, first: datetime) -> set[datetime]:
        """The community's ticks from `first` on whose event is in: those ahead of its cursor
        (a few hours' items at most: the cursor waits no longer than a window)."""
        subject = subject_key(COMMUNITY, community_id)
        condition = Key("subject").eq(subject) & Key("key").between(_hour_key(first), ENERGY + "~")
        known: set[datetime] = set()
        for item in self._query(condition):
            slots = {k[2:]: int(v) for k, v in item.items() if str(k).startswith("s:")}
            known.update(t for t in _ticks_of(str(item["key"]), slots) if first <= t)
        return known

    # The cursor ---------------------------------------------------------------------------
    def cursor(self, community_id: str) -> Cursor | None:
        item = self.table.get_item(
            Key={"subject": subject_key(COMMUNITY, community_id), "key": CURSOR}, ConsistentRead=True
        ).get("Item")
        if not item or "through" not in item:
            return None
        return Cursor(parse_instant(str(item["through"])), sorted(item.get("members", set())))

    def add_members(self, community_id: str, house_ids: Iterable[str]) -> None:
        members = set(house_ids)
        if members:
            self.table.update_item(
                Key={"subject": subject_key(COMMUNITY, community_id), "key": CURSOR},
                UpdateExpression="ADD #m :m",
                ExpressionAttributeNames={"#m": "members"},
                ExpressionAttributeValues={":m": members},
            )

    def start_cursor(self, community_id: str, through: datetime) -> None:
        """Sets the cursor unless it is set (another copy may have started it first)."""
        self._move(community_id, "attribute_not_exists(#t)", {":to": iso(through)})

    def move_cursor(self, community_id: str, start: datetime, through: datetime) -> bool:
        """Moves the cursor from `start` to `through`; False if another copy moved it first."""
        return self._move(community_id, "#t = :from", {":from": iso(start), ":to": iso(through)})

    def _move(self, community_id: str, condition: str, values: dict[str, str]) -> bool:
        try:
            self.table.update_item(
                Key={"subject": subject_key(COMMUNITY, community_id), "key": CURSOR},
                UpdateExpression="SET #t = :to",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#t": "through"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # States and changes -------------------------------------------------------------------
    def states(self, subjects: Sequence[str]) -> dict[str, SubjectState]:
        found: dict[str, SubjectState] = {}
        resource = aws.dynamodb_resource()
        wanted = list(dict.fromkeys(subjects))
        for start in range(0, len(wanted), 100):
            keys = [{"subject": s, "key": STATE} for s in wanted[start : start + 100]]
            request: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": True}}
            while request:
                answer = resource.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    found[str(item["subject"])] = SubjectState(
                        autarkic=bool(item.get("autarkic")),
                        since=str(item["since"]) if "since" in item else None,
                        tick=str(item["tick"]) if "tick" in item else None,
                    )
                request = answer.get("UnprocessedKeys") or {}
        return found

    def state(self, subject: str) -> SubjectState:
        return self.states([subject]).get(subject, SubjectState())

    @staticmethod
    def change_key(subject: str, tick: str) -> dict[str, str]:
        return {"subject": subject, "key": CHANGE + tick}

    def record_change(self, change: Change, notification: ClientNotification) -> Record | None:
        """Stores the change and its notification once, with the subject's new state, in one
        transaction; the stored record (None when a later change is stored already)."""
        key = self.change_key(change.subject, change.tick)
        state = {
            "Update": {
                "TableName": self.table_name,
                "Key": {"subject": {"S": change.subject}, "key": {"S": STATE}},
                "UpdateExpression": "SET #a = :a, #s = :s, #t = :t",
                "ConditionExpression": "attribute_not_exists(#t) OR #t < :t",
                "ExpressionAttributeNames": {"#a": "autarkic", "#s": "since", "#t": "tick"},
                "ExpressionAttributeValues": {
                    ":a": {"BOOL": change.autarkic},
                    ":s": {"S": change.window_end},
                    ":t": {"S": change.tick},
                },
            }
        }
        attributes = {
            "autarkic": change.autarkic,
            "supplyMwh": change.window.supply,
            "consumptionMwh": change.window.consumption,
        }
        record = self.outbox.put_action(key, notification.model_dump_json(), attributes)
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=[state, record])
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            return self.outbox.get(key)
        return Record(notification.model_dump_json(), False, attributes)

    def changes_between(self, subject: str, first: str, last: str) -> list[tuple[dict[str, str], Record]]:
        """The subject's stored changes with a tick in [first, last], oldest first."""
        condition = Key("subject").eq(subject) & Key("key").between(CHANGE + first, CHANGE + last)
        found = []
        for item in self._query(condition):
            key = {"subject": subject, "key": str(item["key"])}
            record = self.outbox.get(key)
            if record is not None:
                found.append((key, record))
        return found

    def _query(self, condition: Any) -> list[dict[str, Any]]:
        return every_item(self.table.query, KeyConditionExpression=condition, ConsistentRead=True)
