"""The readings ledger (owners: the providers, the only doors into the bus).

One item per (source, tick): the hash of the reading's body. A second post of the same
reading is a duplicate (accepted, and sent again: consumers are idempotent, and this is how
a reading whose first publish failed still reaches the bus); a different body is a conflict.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from smartgrid import aws

CHUNK = 100


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


LedgerKey = tuple[str, str]  # (source, timestamp): source is "house#<id>" or "producer#<id>"


class ReadingsLedger:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def record(self, readings: Mapping[LedgerKey, str]) -> dict[LedgerKey, Outcome]:
        """Records each reading's body hash once; says what became of each."""
        outcomes: dict[LedgerKey, Outcome] = {}
        pending = dict(readings)
        known = self._known(list(pending))
        for key, digest in list(pending.items()):
            if key in known:
                outcomes[key] = Outcome.DUPLICATE if known[key] == digest else Outcome.CONFLICT
                del pending[key]
        keys = list(pending)
        for start in range(0, len(keys), CHUNK):
            outcomes.update(self._claim({k: pending[k] for k in keys[start : start + CHUNK]}))
        return outcomes

    def _claim(self, chunk: dict[LedgerKey, str]) -> dict[LedgerKey, Outcome]:
        """Conditional puts, all or nothing; a key another writer took meanwhile is re-read."""
        outcomes: dict[LedgerKey, Outcome] = {}
        dynamodb = aws.client("dynamodb")
        conflicts_left = 5
        while chunk:
            keys = list(chunk)
            actions = [
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": {
                            "source": {"S": k[0]},
                            "timestamp": {"S": k[1]},
                            "bodySha256": {"S": chunk[k]},
                        },
                        "ConditionExpression": "attribute_not_exists(#s)",
                        "ExpressionAttributeNames": {"#s": "source"},
                    }
                }
                for k in keys
            ]
            try:
                if len(actions) == 1:
                    dynamodb.put_item(**actions[0]["Put"])
                else:
                    dynamodb.transact_write_items(TransactItems=actions)
            except ClientError as error:
                code = error.response["Error"]["Code"]
                if code == "ConditionalCheckFailedException":
                    taken = keys
                elif code == "TransactionCanceledException":
                    reasons = error.response.get("CancellationReasons", [])
                    taken = [
                        k
                        for k, r in zip(keys, reasons, strict=False)
                        if r.get("Code") == "ConditionalCheckFailed"
                    ]
                    if not taken:  # a concurrent transaction on the same keys: try again
                        conflicts_left -= 1
                        if conflicts_left == 0:
                            raise
                else:
                    raise
                known = self._known(taken)
                for key in taken:
                    outcomes[key] = Outcome.DUPLICATE if known.get(key) == chunk[key] else Outcome.CONFLICT
                    del chunk[key]
                continue
            outcomes.update(dict.fromkeys(keys, Outcome.ACCEPTED))
            return outcomes
        return outcomes

    def _known(self, keys: list[LedgerKey]) -> dict[LedgerKey, str]:
        found: dict[LedgerKey, str] = {}
        dynamodb = aws.client("dynamodb")
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                self.table_name: {
                    "Keys": [
                        {"source": {"S": s}, "timestamp": {"S": t}} for s, t in keys[start : start + 100]
                    ],
                }
            }
            while request:
                answer = dynamodb.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table_name, []):
                    found[(item["source"]["S"], item["timestamp"]["S"])] = item["bodySha256"]["S"]
                request = answer.get("UnprocessedKeys") or {}
        return found
