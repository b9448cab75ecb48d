"""Slot tables: an item per (partition, sort) key whose attributes are named slots.

A reading's energy is written with `SET "s:<slot>" = value`: writing the same reading twice
leaves the same value, so redelivered messages and retried batches never count twice, with
no marker to keep. Totals are sums over an item's slots, taken on read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from smartgrid import aws

SLOT_PREFIX = "s:"
TRANSACTION_ITEMS = 100
SLOTS_PER_UPDATE = 60  # keeps an update expression well under DynamoDB's 4 KB
GET_BATCH = 100
RETRIES = 5


@dataclass(frozen=True)
class SlotWrite:
    key: tuple[str, str]
    slot: str
    value: int


def slots_of(item: Mapping[str, Any]) -> dict[str, int]:
    return {
        name[len(SLOT_PREFIX) :]: int(value) for name, value in item.items() if name.startswith(SLOT_PREFIX)
    }


class SlotTable:
    def __init__(self, table_name: str, partition: str, sort: str) -> None:
        self.table_name = table_name
        self.partition = partition
        self.sort = sort

    def _key(self, key: tuple[str, str]) -> dict[str, Any]:
        return {self.partition: {"S": key[0]}, self.sort: {"S": key[1]}}

    def write(self, writes: Iterable[SlotWrite]) -> int:
        """Sets every slot; returns the number of update actions sent."""
        by_item: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        for write in writes:
            by_item[write.key][write.slot] = write.value
        actions: list[dict[str, Any]] = []
        for key, slots in by_item.items():
            names = sorted(slots)
            for start in range(0, len(names), SLOTS_PER_UPDATE):
                part = names[start : start + SLOTS_PER_UPDATE]
                actions.append(
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": self._key(key),
                            "UpdateExpression": "SET "
                            + ", ".join(f"#n{i} = :v{i}" for i in range(len(part))),
                            "ExpressionAttributeNames": {
                                f"#n{i}": SLOT_PREFIX + name for i, name in enumerate(part)
                            },
                            "ExpressionAttributeValues": {
                                f":v{i}": {"N": str(slots[name])} for i, name in enumerate(part)
                            },
                        }
                    }
                )
        in_transactions(actions, transact_idempotent, TRANSACTION_ITEMS)
        return len(actions)

    def get(self, key: tuple[str, str]) -> dict[str, int]:
        item = aws.client("dynamodb").get_item(TableName=self.table_name, Key=self._key(key)).get("Item")
        return slots_of(_plain(item)) if item else {}

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, int]]:
        wanted = list(dict.fromkeys(keys))
        found: dict[tuple[str, str], dict[str, int]] = {}
        dynamodb = aws.client("dynamodb")
        for start in range(0, len(wanted), GET_BATCH):
            request: dict[str, Any] = {
                self.table_name: {"Keys": [self._key(k) for k in wanted[start : start + GET_BATCH]]}
            }
            while request:
                answer = dynamodb.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(self.table_name, []):
                    item = _plain(raw)
                    found[(str(item[self.partition]), str(item[self.sort]))] = slots_of(item)
                request = answer.get("UnprocessedKeys") or {}
        return found

    def query(self, partition_value: str, sort_prefix: str | None = None) -> dict[str, dict[str, int]]:
        """Every item of a partition (sort key → slots)."""
        dynamodb = aws.client("dynamodb")
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#p = :p",
            "ExpressionAttributeNames": {"#p": self.partition},
            "ExpressionAttributeValues": {":p": {"S": partition_value}},
        }
        if sort_prefix:
            params["KeyConditionExpression"] += " AND begins_with(#s, :s)"
            params["ExpressionAttributeNames"]["#s"] = self.sort
            params["ExpressionAttributeValues"][":s"] = {"S": sort_prefix}
        found: dict[str, dict[str, int]] = {}
        while True:
            answer = dynamodb.query(**params)
            for raw in answer.get("Items", []):
                item = _plain(raw)
                found[str(item[self.sort])] = slots_of(item)
            if "LastEvaluatedKey" not in answer:
                return found
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level item with only S and N attributes, as plain values."""
    return {
        name: (value["S"] if "S" in value else int(value["N"]))
        for name, value in item.items()
        if "S" in value or "N" in value
    }


def in_transactions(
    actions: list[dict[str, Any]],
    transact: Callable[[list[dict[str, Any]]], None],
    limit: int = TRANSACTION_ITEMS,
) -> None:
    """Update actions, in order, in transactions of up to `limit`: a transaction may touch an
    item once, so an item's second action goes in the next one."""
    batch: list[dict[str, Any]] = []
    touched: set[str] = set()
    for action in actions:
        item = repr(action["Update"]["Key"])
        if batch and (item in touched or len(batch) == limit):
            transact(batch)
            batch, touched = [], set()
        batch.append(action)
        touched.add(item)
    if batch:
        transact(batch)


def transact_idempotent(actions: list[dict[str, Any]], retries: int = RETRIES) -> None:
    """One call for up to 100 idempotent SET actions: a conflict with a concurrent writer is
    simply tried again (the same values land whoever wins)."""
    dynamodb = aws.client("dynamodb")
    for attempt in range(retries):
        try:
            if len(actions) == 1:
                dynamodb.update_item(**actions[0]["Update"])
            else:
                dynamodb.transact_write_items(TransactItems=actions)
            return
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if (
                code not in {"TransactionCanceledException", "TransactionConflictException"}
                or attempt == retries - 1
            ):
                raise
