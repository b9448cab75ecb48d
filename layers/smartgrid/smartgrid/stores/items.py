"""DynamoDB items: pydantic models to and from resource-level items, and every item of a paginated read."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from smartgrid import aws

M = TypeVar("M", bound=BaseModel)


def to_item(model: BaseModel) -> dict[str, Any]:
    # DynamoDB wants Decimal, not float; a JSON round trip gives exact decimal text.
    return json.loads(model.model_dump_json(exclude_none=True), parse_float=Decimal)


def from_item(model: type[M], item: dict[str, Any]) -> M:
    return model.model_validate(_undecimal(item))


def _undecimal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _undecimal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_undecimal(v) for v in value]
    return value


def every_item(call: Callable[..., dict[str, Any]], **params: Any) -> list[dict[str, Any]]:
    """Every item a paginated query or scan returns (`table.query`, `table.scan`), page by page."""
    items: list[dict[str, Any]] = []
    while True:
        answer = call(**params)
        items.extend(answer.get("Items", []))
        if "LastEvaluatedKey" not in answer:
            return items
        params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def set_on_existing(table: Any, key: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any] | None:
    """Sets the attributes of an item that must exist; its new attributes, or None if it does
    not exist. An empty change reads nothing and writes nothing (the caller reads the item)."""
    names = {f"#a{i}": name for i, name in enumerate(changes)}
    values = {f":v{i}": value for i, value in enumerate(changes.values())}
    try:
        answer = table.update_item(
            Key=key,
            UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(changes))),
            ExpressionAttributeNames={**names, "#k": next(iter(key))},
            ExpressionAttributeValues=values,
            ConditionExpression="attribute_exists(#k)",
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return dict(answer["Attributes"])


GET_BATCH = 100  # DynamoDB's BatchGetItem limit


def items_by_key(
    table_name: str, keys: list[dict[str, Any]], *, consistent: bool = True
) -> list[dict[str, Any]]:
    """The items of these keys that exist (any order), in batches of 100, unprocessed keys asked again."""
    items: list[dict[str, Any]] = []
    resource = aws.dynamodb_resource()
    for start in range(0, len(keys), GET_BATCH):
        request: dict[str, Any] = {
            table_name: {"Keys": keys[start : start + GET_BATCH], "ConsistentRead": consistent}
        }
        while request:
            answer = resource.batch_get_item(RequestItems=request)
            items.extend(answer["Responses"].get(table_name, []))
            request = answer.get("UnprocessedKeys") or {}
    return items
