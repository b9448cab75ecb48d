"""Every stored fact of a grid, comparable between two runs of the same simulated day.

Each table is scanned whole and its items made comparable: what legitimately differs between
two runs (wall-clock times, tokens, message ids) is left out. The grid's ids are drawn at
random: `seeded_ids` makes them the same in both runs (registrations done one at a time).
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from localcloud import LocalCloud
from smartgrid import ids

# Attributes that differ between two identical days: wall-clock times, secrets, message ids,
# and revision counters (they count writes, which retries repeat, not facts).
VOLATILE = re.compile(r"(?i)^(token|tokensha256|createdat|closedat|updatedat|messageid|nonce|expiresat|rev)$")

# Tables that record the run's own failures, not the grid's facts.
DIAGNOSTIC_TABLES = frozenset({"DeadLetterReasonsTable"})

_deserialize = TypeDeserializer().deserialize


def _canonical(value: Any) -> Any:
    """Plain JSON values; JSON text inside a string is opened; lists of strings (sets in
    meaning: members, houses) sorted; volatile attributes dropped."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if not VOLATILE.match(k)}
    if isinstance(value, list | set | tuple):
        items = [_canonical(v) for v in value]
        return sorted(items) if all(isinstance(v, str) for v in items) else items
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _canonical(json.loads(value))
        except ValueError:
            return value
    return value


def table_items(cloud: LocalCloud, table: str) -> list[dict[str, Any]]:
    dynamodb = cloud.clients.dynamodb
    name = cloud.provisioned.tables[table]
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": name}
    with cloud.locked():
        while True:
            page = dynamodb.scan(**request)
            items += [{k: _deserialize(v) for k, v in item.items()} for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def grid_facts(cloud: LocalCloud) -> dict[str, list[str]]:
    """Every table's items as sorted canonical JSON lines (diagnostic tables left out)."""
    return {
        table: sorted(json.dumps(_canonical(item), sort_keys=True) for item in table_items(cloud, table))
        for table in sorted(set(cloud.provisioned.tables) - DIAGNOSTIC_TABLES)
    }


@contextmanager
def seeded_ids(seed: int) -> Iterator[None]:
    """The grid's random ids (`smartgrid.ids.new_id`) drawn from a seeded generator."""
    rng = random.Random(seed)
    saved = ids.uuid
    ids.uuid = SimpleNamespace(uuid4=lambda: uuid.UUID(int=rng.getrandbits(128), version=4))  # type: ignore[assignment]
    try:
        yield
    finally:
        ids.uuid = saved
