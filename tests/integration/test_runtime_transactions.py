"""DynamoDB transactions in the local runtime (see localcloud.motofix): all or nothing as
AWS does, at a cost that does not grow with the table."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud


def new_table(cloud: LocalCloud) -> str:
    name = f"tx-{uuid.uuid4().hex[:8]}"
    with cloud.locked():
        cloud.clients.dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    return name


def put(table: str, pk: str, sk: str, value: int, condition: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {
        "TableName": table,
        "Item": {"pk": {"S": pk}, "sk": {"S": sk}, "value": {"N": str(value)}},
    }
    if condition:
        action["ConditionExpression"] = condition
    return {"Put": action}


def items(cloud: LocalCloud, table: str) -> dict[tuple[str, str], int]:
    with cloud.locked():
        found = cloud.clients.dynamodb.scan(TableName=table)["Items"]
    return {(i["pk"]["S"], i["sk"]["S"]): int(i["value"]["N"]) for i in found}


def test_a_failed_transaction_leaves_every_item_as_it_was(cloud: LocalCloud) -> None:
    # Given a table with two items
    table = new_table(cloud)
    with cloud.locked():
        cloud.clients.dynamodb.transact_write_items(
            TransactItems=[put(table, "a", "1", 1), put(table, "a", "2", 2)]
        )
    # When a transaction updates one, adds one, and fails its last condition
    actions = [
        put(table, "a", "1", 10),
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": "a"}, "sk": {"S": "2"}},
                "UpdateExpression": "SET #v = :v",
                "ExpressionAttributeNames": {"#v": "value"},
                "ExpressionAttributeValues": {":v": {"N": "20"}},
            }
        },
        put(table, "b", "1", 30),
        put(table, "a", "3", 40, condition="attribute_exists(pk)"),
    ]
    with cloud.locked(), pytest.raises(ClientError) as caught:
        cloud.clients.dynamodb.transact_write_items(TransactItems=actions)
    # Then it was cancelled, and nothing of it was written
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert items(cloud, table) == {("a", "1"): 1, ("a", "2"): 2}


def test_an_item_twice_in_a_transaction_writes_nothing(cloud: LocalCloud) -> None:
    table = new_table(cloud)
    with cloud.locked(), pytest.raises(ClientError):
        cloud.clients.dynamodb.transact_write_items(
            TransactItems=[put(table, "a", "1", 1), put(table, "a", "1", 2)]
        )
    assert items(cloud, table) == {}


def test_a_transaction_costs_what_it_touches_not_the_table(cloud: LocalCloud) -> None:
    # Given a table of 3,000 items
    table = new_table(cloud)
    with cloud.locked():
        for start in range(0, 3000, 100):
            cloud.clients.dynamodb.transact_write_items(
                TransactItems=[put(table, "big", f"{n:05d}", n) for n in range(start, start + 100)]
            )
    # When 10 more transactions of 100 items are written
    started = time.monotonic()
    with cloud.locked():
        for start in range(3000, 4000, 100):
            cloud.clients.dynamodb.transact_write_items(
                TransactItems=[put(table, "big", f"{n:05d}", n) for n in range(start, start + 100)]
            )
    # Then they take well under a second each (copying the table for each action took minutes)
    assert time.monotonic() - started < 10
    assert len(items(cloud, table)) == 4000
