"""Store, then publish, once: a service's decision kept with a `published` flag.

A decision is stored with a conditional put: the first writer wins, and a second copy of
the function (or a redo after a crash) finds the stored decision and goes on with it, so
what is published never depends on who got there first. It is then claimed for a lease,
published, and marked published:
- a redo publishes only what is not marked;
- two live copies never publish together: only the one that holds the claim publishes;
- a publish that fails releases its claim, so the retry publishes at once; a claimer that
  dies outright holds it until its lease ends (the function's timeout), then a redo may;
- a claim names the SQS message being handled (`delivering`): a redelivery of that message
  takes its own claim over at once. The claimer crashed (its message came back), and
  nothing else may be left to publish the decision: a message whose claim was left behind
  by its own crash once found it held, counted itself done, and the decision was never
  published.
The one window left, a crash after the publish and before the mark, publishes again:
consumers key on the decision's key (a frame's start) and are idempotent.

Each owner keeps its records in its own table (the key names are the table's).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from smartgrid import aws

PAYLOAD = "payload"
PUBLISHED = "published"
CLAIMED_UNTIL = "claimedUntilMs"
CLAIMED_BY = "claimedBy"

_delivery: ContextVar[str | None] = ContextVar("delivery", default=None)


@contextmanager
def delivering(message_id: str) -> Iterator[None]:
    """Claims taken meanwhile name this SQS message (see the module's docstring)."""
    token = _delivery.set(message_id)
    try:
        yield
    finally:
        _delivery.reset(token)


Key = Mapping[str, str]


@dataclass(frozen=True)
class Record:
    """A stored decision: what to publish (None: nothing), and whether it was."""

    payload: str | None
    published: bool
    attributes: dict[str, Any] = field(default_factory=dict)


def _now_ms() -> int:
    return int(time.time() * 1000)


class Outbox:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.table = aws.dynamodb_table(table_name)

    def get(self, key: Key) -> Record | None:
        item = self.table.get_item(Key=dict(key), ConsistentRead=True).get("Item")
        return _record(item, key) if item else None

    def item(
        self, key: Key, payload: str | None, attributes: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The stored form of a decision; nothing to publish is published already."""
        given = {k: Decimal(str(v)) if isinstance(v, float) else v for k, v in (attributes or {}).items()}
        item: dict[str, Any] = {**given, **key, PUBLISHED: payload is None}
        if payload is not None:
            item[PAYLOAD] = payload
        return item

    def put_once(self, key: Key, payload: str | None, attributes: Mapping[str, Any] | None = None) -> Record:
        """Stores the decision unless one is stored already; the stored one, either way."""
        first = next(iter(key))
        try:
            self.table.put_item(
                Item=self.item(key, payload, attributes),
                ConditionExpression="attribute_not_exists(#k)",
                ExpressionAttributeNames={"#k": first},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            stored = self.get(key)
            if stored is None:  # pragma: no cover - a stored record is never deleted
                raise
            return stored
        return Record(payload, payload is None, dict(attributes or {}))

    def put_action(
        self, key: Key, payload: str | None, attributes: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The same put, as one action of a transaction (cancelled if the key is stored)."""
        serializer = TypeSerializer()
        item = {
            name: serializer.serialize(value) for name, value in self.item(key, payload, attributes).items()
        }
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(#k)",
                "ExpressionAttributeNames": {"#k": next(iter(key))},
            }
        }

    def claim(self, key: Key, lease_ms: int) -> bool:
        """Takes the right to publish for `lease_ms`, unless it is published or claimed (by
        another message than the one being handled)."""
        now = _now_ms()
        names = {"#c": CLAIMED_UNTIL, "#p": PUBLISHED}
        values: dict[str, Any] = {":until": now + lease_ms, ":now": now, ":false": False}
        update, free = "SET #c = :until", "attribute_not_exists(#c) OR #c < :now"
        delivery = _delivery.get()
        if delivery is not None:
            names["#by"], values[":me"] = CLAIMED_BY, delivery
            update, free = update + ", #by = :me", free + " OR #by = :me"
        try:
            self.table.update_item(
                Key=dict(key),
                UpdateExpression=update,
                ConditionExpression=f"#p = :false AND ({free})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, key: Key) -> None:
        self.table.update_item(
            Key=dict(key),
            UpdateExpression="REMOVE #c, #by",
            ExpressionAttributeNames={"#c": CLAIMED_UNTIL, "#by": CLAIMED_BY},
        )

    def mark_published(self, key: Key) -> None:
        self.table.update_item(
            Key=dict(key),
            UpdateExpression="SET #p = :true REMOVE #c, #by",
            ExpressionAttributeNames={"#p": PUBLISHED, "#c": CLAIMED_UNTIL, "#by": CLAIMED_BY},
            ExpressionAttributeValues={":true": True},
        )


def publish_once(
    outbox: Outbox, key: Key, record: Record, publish: Callable[[str], None], lease_ms: int
) -> bool:
    """Publishes a stored decision unless it was published; True if this call published it."""
    if record.published or record.payload is None:
        return False
    if not outbox.claim(key, lease_ms):
        return False
    try:
        publish(record.payload)
    except BaseException:
        outbox.release(key)
        raise
    outbox.mark_published(key)
    return True


def _record(item: Mapping[str, Any], key: Key) -> Record:
    payload = item.get(PAYLOAD)
    attributes = {
        k: v
        for k, v in item.items()
        if k not in key and k not in (PAYLOAD, PUBLISHED, CLAIMED_UNTIL, CLAIMED_BY)
    }
    return Record(str(payload) if payload is not None else None, bool(item.get(PUBLISHED)), attributes)


def lease_for(context: Any) -> int:
    """A claim's lease (ms): until the invocation's own timeout, and a second more. A
    claimer still alive never loses its claim; a dead one holds it no longer than that."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return (int(remaining()) if callable(remaining) else 900_000) + 1000
