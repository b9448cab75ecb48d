"""Producers' setpoints (owner: production-adapter), read-only for everyone else.

AdapterTable (`pk`, `sk`) keeps, under `PRODUCERS / <producerId>`, each utility producer's
production limit (`limitW`), its last actual production (`actualW` at `actualAt`) and the
setpoint it is asked to produce (`setpointW`, W). The producers (the simulator each tick, a
real producer through `GET /producers/{producerId}/setpoint`) read the setpoint and obey it
within their limit; a producer with no setpoint yet keeps its own production.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key

from smartgrid import aws

PRODUCERS = "PRODUCERS"


@dataclass(frozen=True)
class ProducerControl:
    producerId: str
    limitW: float | None = None
    setpointW: float | None = None
    actualW: float | None = None
    actualAt: str | None = None


def _number(value: Any) -> float | None:
    return float(value) if value is not None else None


def control_of(item: dict[str, Any]) -> ProducerControl:
    return ProducerControl(
        producerId=str(item["sk"]),
        limitW=_number(item.get("limitW")),
        setpointW=_number(item.get("setpointW")),
        actualW=_number(item.get("actualW")),
        actualAt=str(item["actualAt"]) if "actualAt" in item else None,
    )


class ProducerSetpoints:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.table = aws.dynamodb_table(table_name)

    def controls(self) -> dict[str, ProducerControl]:
        """Every utility producer the adapter knows, by id."""
        found: dict[str, ProducerControl] = {}
        params: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(PRODUCERS), "ConsistentRead": True}
        while True:
            answer = self.table.query(**params)
            for item in answer.get("Items", []):
                control = control_of(item)
                found[control.producerId] = control
            if "LastEvaluatedKey" not in answer:
                return found
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def control(self, producer_id: str) -> ProducerControl | None:
        item = self.table.get_item(Key={"pk": PRODUCERS, "sk": producer_id}).get("Item")
        return control_of(item) if item else None

    def all(self) -> dict[str, float]:
        """Producer id to setpoint (W), for the producers that have one."""
        return {pid: c.setpointW for pid, c in self.controls().items() if c.setpointW is not None}

    def get(self, producer_id: str) -> float | None:
        """A producer's setpoint (W); None: none yet, it keeps its own production."""
        control = self.control(producer_id)
        return control.setpointW if control else None
