"""Update expressions in the local runtime (see localcloud.motofix): checked in linear time,
still refused as AWS refuses them (one ADD, SET and REMOVE clause at most)."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from tests.integration.test_runtime_transactions import new_table

SLOTS = 60  # a slot store's update: one ADD action a house or an object


def add_to_slots(cloud: LocalCloud, table: str, slots: int) -> None:
    with cloud.locked():
        cloud.clients.dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": "day"}, "sk": {"S": "00:00"}},
            UpdateExpression="ADD " + ", ".join(f"#s{n} :one" for n in range(slots)),
            ExpressionAttributeNames={f"#s{n}": f"s:house-{n}" for n in range(slots)},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )


def test_an_update_of_many_slots_is_applied_quickly(cloud: LocalCloud) -> None:
    # Given a table / When one update adds to 60 slots, twice
    table = new_table(cloud)
    started = time.perf_counter()
    add_to_slots(cloud, table, SLOTS)
    add_to_slots(cloud, table, SLOTS)
    elapsed = time.perf_counter() - started
    # Then every slot holds 2, in well under a second (it took seconds before the fix)
    with cloud.locked():
        item = cloud.clients.dynamodb.get_item(
            TableName=table, Key={"pk": {"S": "day"}, "sk": {"S": "00:00"}}
        )
    slots = {name: value["N"] for name, value in item["Item"].items() if name.startswith("s:")}
    assert slots == {f"s:house-{n}": "2" for n in range(SLOTS)}
    assert elapsed < 2.0


@pytest.mark.parametrize(
    "expression",
    ["ADD a :v ADD b :v", "SET a = :v SET b = :v", "REMOVE a REMOVE b", "SET a = :v ADD b :v ADD c :v"],
)
def test_two_clauses_of_a_kind_are_refused(cloud: LocalCloud, expression: str) -> None:
    # Given a table / When an update repeats a clause / Then it is refused, as AWS does
    table = new_table(cloud)
    values = {":v": {"N": "1"}} if ":v" in expression else {}
    with cloud.locked(), pytest.raises(ClientError, match="ValidationException"):
        cloud.clients.dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": "a"}, "sk": {"S": "b"}},
            UpdateExpression=expression,
            **({"ExpressionAttributeValues": values} if values else {}),
        )
