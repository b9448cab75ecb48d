"""The producer database (owner: producer-database): utility producers and houses that produce."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.errors import Conflict, NotFound
from smartgrid.models import ProducerRecord
from smartgrid.stores.items import from_item, set_on_existing, to_item

BY_HOUSE_INDEX = "byHouse"


class ProducersRepository:
    def __init__(self, table_name: str) -> None:
        self.table = aws.dynamodb_table(table_name)

    def create(self, producer: ProducerRecord) -> None:
        try:
            self.table.put_item(Item=to_item(producer), ConditionExpression=Attr("producerId").not_exists())
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"producer {producer.producerId} exists already") from error
            raise

    def delete(self, producer_id: str) -> None:
        self.table.delete_item(Key={"producerId": producer_id})

    def get_many(self, producer_ids: list[str]) -> dict[str, ProducerRecord]:
        wanted = list(dict.fromkeys(producer_ids))
        found: dict[str, ProducerRecord] = {}
        resource = aws.dynamodb_resource()
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {
                self.table.name: {"Keys": [{"producerId": p} for p in wanted[start : start + 100]]}
            }
            while request:
                answer = resource.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table.name, []):
                    producer = from_item(ProducerRecord, item)
                    found[producer.producerId] = producer
                request = answer.get("UnprocessedKeys") or {}
        return found

    def get(self, producer_id: str) -> ProducerRecord | None:
        item = self.table.get_item(Key={"producerId": producer_id}).get("Item")
        return from_item(ProducerRecord, item) if item else None

    def require(self, producer_id: str) -> ProducerRecord:
        producer = self.get(producer_id)
        if producer is None:
            raise NotFound(f"no producer {producer_id}", field="producerId")
        return producer

    def of_house(self, house_id: str) -> ProducerRecord | None:
        answer = self.table.query(
            IndexName=BY_HOUSE_INDEX, KeyConditionExpression=Key("houseId").eq(house_id)
        )
        items = answer.get("Items", [])
        return self.get(str(items[0]["producerId"])) if items else None

    def update(self, producer_id: str, *, name: str | None, limit_w: float | None) -> ProducerRecord:
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if limit_w is not None:
            changes["productionLimitW"] = to_item_number(limit_w)
        if not changes:
            return self.require(producer_id)
        updated = set_on_existing(self.table, {"producerId": producer_id}, changes)
        if updated is None:
            raise NotFound(f"no producer {producer_id}", field="producerId")
        return from_item(ProducerRecord, updated)

    def all(self) -> list[ProducerRecord]:
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        while True:
            answer = self.table.scan(**params)
            items.extend(answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return sorted((from_item(ProducerRecord, i) for i in items), key=lambda p: p.createdAt)
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def to_item_number(value: float) -> Any:
    from decimal import Decimal

    return Decimal(str(value))
