"""Exactly-once sums: each reading marks its own slot and adds to rollups, in one transaction.

A contribution sets `"s:<slot>"` on its marker item only if that slot is still empty, and in
the same transaction adds its value to every rollup it names (a community's day, the grid's
tick, ...). A reading delivered again finds its slot taken: the transaction is cancelled,
the reading is set aside as already counted, and the rest are written again. So a total is
exact whatever SQS, a crashed handler or a second copy of a function does, and reading a
total is one get_item, not a sum over raw data.

Rollups of one batch are summed before writing, and readings that share rollup items are
put in the same transactions: a transaction of up to 100 actions carries many readings and
few rollup items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.stores.slots import SLOT_PREFIX

TRANSACTION_ACTIONS = 100
SLOTS_PER_ITEM_UPDATE = 40  # keeps an update expression well under DynamoDB's 4 KB
CONFLICT_RETRIES = 8


@dataclass(frozen=True)
class ItemKey:
    table: str
    key: tuple[tuple[str, str], ...]  # ((attribute, value), ...) for the partition and sort keys

    @classmethod
    def of(cls, table: str, **key: str) -> ItemKey:
        return cls(table, tuple(sorted(key.items())))

    def dynamo(self) -> dict[str, Any]:
        return {name: {"S": value} for name, value in self.key}


@dataclass(frozen=True)
class Rollup:
    item: ItemKey
    attribute: str


@dataclass(frozen=True)
class Contribution:
    marker: ItemKey
    slot: str
    value: int
    rollups: tuple[Rollup, ...] = field(default_factory=tuple)


class Tally:
    def apply(self, contributions: Iterable[Contribution]) -> list[Contribution]:
        """Writes each contribution once; returns those that were new (not counted before)."""
        pending = _unique(contributions)
        applied: list[Contribution] = []
        for chunk in _chunks(pending):
            applied.extend(self._apply_chunk(chunk))
        return applied

    def _apply_chunk(self, chunk: list[Contribution]) -> list[Contribution]:
        conflicts_left = CONFLICT_RETRIES
        while chunk:
            actions, markers = _actions(chunk)
            try:
                aws.client("dynamodb").transact_write_items(TransactItems=actions)
                return chunk
            except ClientError as error:
                if error.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = error.response.get("CancellationReasons", [])
                taken = [
                    m
                    for m, r in zip(markers, reasons, strict=False)
                    if r.get("Code") == "ConditionalCheckFailed"
                ]
                if not taken:  # a conflict with a concurrent writer: nothing is written, try again
                    conflicts_left -= 1
                    if conflicts_left == 0:
                        raise
                    continue
                counted = _slots_already_set(taken)
                chunk = [c for c in chunk if (c.marker, c.slot) not in counted]
        return []


def _unique(contributions: Iterable[Contribution]) -> list[Contribution]:
    """One contribution per (marker, slot): the first one wins within a batch too."""
    seen: dict[tuple[ItemKey, str], Contribution] = {}
    for contribution in contributions:
        seen.setdefault((contribution.marker, contribution.slot), contribution)
    return list(seen.values())


def _action_count(chunk: Sequence[Contribution]) -> int:
    markers = {c.marker for c in chunk}
    rollup_items = {r.item for c in chunk for r in c.rollups} - markers
    return len(markers) + len(rollup_items)


def _chunks(contributions: list[Contribution]) -> Iterable[list[Contribution]]:
    """Groups whose transaction stays within 100 actions; a marker item's slots stay together."""
    by_marker: dict[ItemKey, list[Contribution]] = defaultdict(list)
    for contribution in contributions:
        by_marker[contribution.marker].append(contribution)
    chunk: list[Contribution] = []
    for group in sorted(by_marker.values(), key=_shared_rollups):
        for start in range(0, len(group), SLOTS_PER_ITEM_UPDATE):
            part = group[start : start + SLOTS_PER_ITEM_UPDATE]
            # A transaction may touch an item once: a marker's second part goes in the next one.
            if chunk and (start > 0 or _action_count(chunk + part) > TRANSACTION_ACTIONS):
                yield chunk
                chunk = []
            chunk.extend(part)
    if chunk:
        yield chunk


def _shared_rollups(group: list[Contribution]) -> tuple[str, ...]:
    """The items a marker's contributions roll up into, besides itself. Markers that share
    them (a day's houses: their community's day, the grid's) are sorted next to each other, so
    they meet in one transaction, where each shared item is one action that adds their sum:
    a long jump writes a third of the actions it would in arrival order."""
    marker = group[0].marker
    return tuple(sorted({repr(r.item) for c in group for r in c.rollups if r.item != marker}))


def _actions(chunk: list[Contribution]) -> tuple[list[dict[str, Any]], list[ItemKey | None]]:
    """The transaction's actions, and for each the marker item it guards (None for rollups)."""
    sets: dict[ItemKey, dict[str, int]] = defaultdict(dict)
    adds: dict[ItemKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for contribution in chunk:
        sets[contribution.marker][contribution.slot] = contribution.value
        for rollup in contribution.rollups:
            adds[rollup.item][rollup.attribute] += contribution.value
    actions: list[dict[str, Any]] = []
    markers: list[ItemKey | None] = []
    for marker, slots in sets.items():  # a chunk holds at most SLOTS_PER_ITEM_UPDATE of a marker
        actions.append(_update(marker, slots, adds.pop(marker, {})))
        markers.append(marker)
    for item, sums in adds.items():
        actions.append(_update(item, {}, sums))
        markers.append(None)
    return actions, markers


def _update(item: ItemKey, slots: dict[str, int], sums: dict[str, int]) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    clauses: list[str] = []
    conditions: list[str] = []
    for i, (slot, value) in enumerate(slots.items()):
        names[f"#s{i}"] = SLOT_PREFIX + slot
        values[f":s{i}"] = {"N": str(value)}
        clauses.append(f"#s{i} = :s{i}")
        conditions.append(f"attribute_not_exists(#s{i})")
    expression = ("SET " + ", ".join(clauses)) if clauses else ""
    additions = []
    for i, (attribute, total) in enumerate(sums.items()):
        names[f"#a{i}"] = attribute
        values[f":a{i}"] = {"N": str(total)}
        additions.append(f"#a{i} :a{i}")
    if additions:
        expression += (" " if expression else "") + "ADD " + ", ".join(additions)
    update: dict[str, Any] = {
        "TableName": item.table,
        "Key": item.dynamo(),
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    if conditions:
        update["ConditionExpression"] = " AND ".join(conditions)
    return {"Update": update}


def _slots_already_set(markers: list[ItemKey | None]) -> set[tuple[ItemKey, str]]:
    dynamodb = aws.client("dynamodb")
    found: set[tuple[ItemKey, str]] = set()
    for marker in {m for m in markers if m is not None}:
        item = dynamodb.get_item(TableName=marker.table, Key=marker.dynamo(), ConsistentRead=True).get(
            "Item", {}
        )
        found.update((marker, name[len(SLOT_PREFIX) :]) for name in item if name.startswith(SLOT_PREFIX))
    return found


def read_totals(items: Iterable[ItemKey], attributes: Sequence[str]) -> dict[ItemKey, dict[str, int]]:
    """Rollup attributes of many items (absent items and attributes count 0)."""
    wanted = list(dict.fromkeys(items))
    found: dict[ItemKey, dict[str, int]] = {k: dict.fromkeys(attributes, 0) for k in wanted}
    dynamodb = aws.client("dynamodb")
    by_table: dict[str, list[ItemKey]] = defaultdict(list)
    for key in wanted:
        by_table[key.table].append(key)
    for table, keys in by_table.items():
        key_names = [name for name, _ in keys[0].key]
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {table: {"Keys": [k.dynamo() for k in keys[start : start + 100]]}}
            while request:
                answer = dynamodb.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(table, []):
                    key = ItemKey(table, tuple(sorted((n, raw[n]["S"]) for n in key_names)))
                    found[key] = {a: int(raw[a]["N"]) if a in raw else 0 for a in attributes}
                request = answer.get("UnprocessedKeys") or {}
    return found
