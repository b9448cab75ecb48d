"""The simulators' tables (owners: `house` for SimHousesTable, `producers` for SimProducersTable).

Each simulated device is two items under its id: `spec` (what staff set up: objects, limits,
the device's token), changed through the API with an optimistic version check, and `state`
(what the reports move on), written by the report function alone, in batches. The two never
overwrite each other. Documents are kept as JSON text: one attribute to read and write, and
cheap for the emulated DynamoDB too.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from smartgrid import aws
from smartgrid.errors import Conflict, NotFound

SPEC = "spec"
STATE = "state"
PART = "part"
WRITE_BATCH = 25

S = TypeVar("S", bound=BaseModel)
T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Entry(Generic[S, T]):
    id: str
    spec: S
    version: int
    state: T | None


class SimulatorTable(Generic[S, T]):
    def __init__(
        self, table_name: str, key: str, spec_model: type[S], state_model: type[T], what: str
    ) -> None:
        self.table_name = table_name
        self.table = aws.dynamodb_table(table_name)
        self.key = key
        self.spec_model = spec_model
        self.state_model = state_model
        self.what = what

    def _item(self, id_: str, part: str, doc: BaseModel, version: int | None = None) -> dict[str, Any]:
        item: dict[str, Any] = {self.key: id_, PART: part, "doc": doc.model_dump_json()}
        if version is not None:
            item["version"] = version
        return item

    def _entry(self, id_: str, spec: dict[str, Any], state: dict[str, Any] | None) -> Entry[S, T]:
        return Entry(
            id=id_,
            spec=self.spec_model.model_validate_json(spec["doc"]),
            version=int(spec.get("version", 0)),
            state=self.state_model.model_validate_json(state["doc"]) if state else None,
        )

    def create(self, id_: str, spec: S, state: T) -> None:
        client = aws.client("dynamodb")
        serializer = TypeSerializer()
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": {k: serializer.serialize(v) for k, v in item.items()},
                            "ConditionExpression": "attribute_not_exists(#k)",
                            "ExpressionAttributeNames": {"#k": self.key},
                        }
                    }
                    for item in (self._item(id_, SPEC, spec, 1), self._item(id_, STATE, state))
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise Conflict(f"{self.what} {id_} exists already") from error
            raise

    def get(self, id_: str) -> Entry[S, T] | None:
        items = self.table.query(KeyConditionExpression=Key(self.key).eq(id_), ConsistentRead=True).get(
            "Items", []
        )
        parts = {str(item[PART]): item for item in items}
        return self._entry(id_, parts[SPEC], parts.get(STATE)) if SPEC in parts else None

    def require(self, id_: str) -> Entry[S, T]:
        entry = self.get(id_)
        if entry is None:
            raise NotFound(f"no simulated {self.what} {id_}", field=self.key)
        return entry

    def put_spec(self, id_: str, spec: S, version: int) -> int:
        """Replaces the spec if nobody changed it since `version` was read; the new version."""
        try:
            self.table.put_item(
                Item=self._item(id_, SPEC, spec, version + 1),
                ConditionExpression=Attr("version").eq(version),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"the simulated {self.what} {id_} changed meanwhile; try again") from error
            raise
        return version + 1

    def all(self) -> list[Entry[S, T]]:
        """Every device with its state, in id order."""
        specs: dict[str, dict[str, Any]] = {}
        states: dict[str, dict[str, Any]] = {}
        params: dict[str, Any] = {"ConsistentRead": True}
        while True:
            answer = self.table.scan(**params)
            for item in answer.get("Items", []):
                (specs if item[PART] == SPEC else states)[str(item[self.key])] = item
            if "LastEvaluatedKey" not in answer:
                break
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return [self._entry(i, specs[i], states.get(i)) for i in sorted(specs)]

    def save_states(self, states: Mapping[str, T]) -> None:
        """Writes the states in batches (a state is only ever written whole, by the reports)."""
        requests = [{"PutRequest": {"Item": self._item(i, STATE, s)}} for i, s in states.items()]
        resource = aws.dynamodb_resource()
        for start in range(0, len(requests), WRITE_BATCH):
            pending: dict[str, Any] = {self.table_name: requests[start : start + WRITE_BATCH]}
            for attempt in range(8):
                answer = resource.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(0.05 * 2**attempt)
            else:
                raise RuntimeError(f"{self.table_name}: states not written after retries")
