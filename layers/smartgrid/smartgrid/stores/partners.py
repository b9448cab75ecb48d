"""The partners table (owner: partner-api): partners, their sales, and the data each sold.

Per partner (partition `partnerId`), sort key `part`:
- `info`: name, trust level, datapoints, token hash, pseudonym key, and how many sales it made;
- `sale#<number>` (zero-padded: newest first is a reverse query): a sale's summary, and its
  `sale.data` event to publish once (the outbox's `payload`/`published`);
- `data#<nonce>#<piece>`: the whole sale as sold (compressed JSON, in pieces: an item holds
  400 KB), written before the sale commits: a sale never exists without its data, and a
  retried request gets it back exactly;
- `key#<sha256>`: an Idempotency-Key of a purchase: the sale it made, and its request's fingerprint;
- `credit#<sha256>`: the same for an addition of datapoints.

A sale commits in one transaction: the partner's datapoints are debited on the condition
that nothing of the partner changed since it was read (balance, trust, count of sales), and
the sale and its key are put on the condition that they are new. All of it happens, or none.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.errors import Conflict, NotFound, Unprocessable
from smartgrid.stores.items import set_on_existing
from smartgrid.stores.outbox import Outbox

INFO = "info"
SALE_PREFIX = "sale#"
DATA_PREFIX = "data#"
KEY_PREFIX = "key#"
CREDIT_PREFIX = "credit#"
SALE_NUMBER_DIGITS = 10
PIECE_BYTES = 350_000  # under DynamoDB's 400 KB an item, with room for the key


@dataclass(frozen=True)
class PartnerRecord:
    partnerId: str
    name: str
    trustLevel: int
    datapoints: int
    createdAt: str
    tokenSha256: str
    pseudonymKey: str
    sales: int = 0


@dataclass(frozen=True)
class KeyRecord:
    """What an Idempotency-Key did: the request it came with, and the sale it made."""

    fingerprint: str
    saleId: str | None = None


class Raced(StrEnum):
    """Why a sale did not commit: someone else got there first."""

    PARTNER = "partner"  # the partner changed since it was read (another sale, a credit, its trust)
    KEY = "key"  # a request with the same Idempotency-Key committed first


class SaleRaced(Exception):
    def __init__(self, reason: Raced) -> None:
        super().__init__(reason.value)
        self.reason = reason


def sale_id(partner_id: str, number: int) -> str:
    return f"{partner_id}-{number}"


def sale_number(partner_id: str, sale: str) -> int | None:
    """The number of one of the partner's sales, from its id; None if it is not one."""
    head, dash, number = sale.rpartition("-")
    if head != partner_id or not dash or not number.isdigit() or len(number) > SALE_NUMBER_DIGITS:
        return None
    return int(number)


def _sale_part(number: int) -> str:
    return f"{SALE_PREFIX}{number:0{SALE_NUMBER_DIGITS}d}"


def _record(item: Mapping[str, Any]) -> PartnerRecord:
    return PartnerRecord(
        partnerId=str(item["partnerId"]),
        name=str(item["name"]),
        trustLevel=int(item["trustLevel"]),
        datapoints=int(item["datapoints"]),
        createdAt=str(item["createdAt"]),
        tokenSha256=str(item["tokenSha256"]),
        pseudonymKey=str(item["pseudonymKey"]),
        sales=int(item.get("sales", 0)),
    )


def _raw(item: Mapping[str, Any]) -> dict[str, Any]:
    serializer = TypeSerializer()
    return {name: serializer.serialize(value) for name, value in item.items()}


def _cancellations(error: ClientError) -> list[str]:
    return [r.get("Code", "") for r in error.response.get("CancellationReasons", [])]


class PartnersRepository:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.table = aws.dynamodb_table(table_name)
        self.outbox = Outbox(table_name)

    # The partner ----------------------------------------------------------------------
    def create(self, record: PartnerRecord) -> None:
        item = {"part": INFO, **asdict(record)}
        try:
            self.table.put_item(Item=item, ConditionExpression=Attr("partnerId").not_exists())
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"partner {record.partnerId} exists already") from error
            raise

    def get(self, partner_id: str) -> PartnerRecord | None:
        item = self.table.get_item(Key={"partnerId": partner_id, "part": INFO}, ConsistentRead=True).get(
            "Item"
        )
        return _record(item) if item else None

    def require(self, partner_id: str) -> PartnerRecord:
        found = self.get(partner_id)
        if found is None:
            raise NotFound(f"no partner {partner_id}", field="partnerId")
        return found

    def token_sha256(self, partner_id: str) -> str | None:
        item = self.table.get_item(
            Key={"partnerId": partner_id, "part": INFO}, ProjectionExpression="tokenSha256"
        ).get("Item")
        return str(item["tokenSha256"]) if item and "tokenSha256" in item else None

    def change(self, partner_id: str, *, name: str | None, trust_level: int | None) -> PartnerRecord:
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if trust_level is not None:
            changes["trustLevel"] = trust_level
        if not changes:
            return self.require(partner_id)
        updated = set_on_existing(self.table, {"partnerId": partner_id, "part": INFO}, changes)
        if updated is None:
            raise NotFound(f"no partner {partner_id}", field="partnerId")
        return _record(updated)

    def add_datapoints(
        self, partner_id: str, amount: int, key: str | None = None, fingerprint: str = ""
    ) -> PartnerRecord:
        """Adds to the balance; with an idempotency key (hashed), once: a retry with the same
        key adds nothing, the same key for another amount is a Conflict."""
        info_key = {"partnerId": partner_id, "part": INFO}
        if key is None:
            try:
                answer = self.table.update_item(
                    Key=info_key,
                    UpdateExpression="ADD datapoints :amount",
                    ConditionExpression=Attr("partnerId").exists(),
                    ExpressionAttributeValues={":amount": amount},
                    ReturnValues="ALL_NEW",
                )
            except ClientError as error:
                if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    raise NotFound(f"no partner {partner_id}", field="partnerId") from error
                raise
            return _record(answer["Attributes"])
        actions = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": _raw(info_key),
                    "UpdateExpression": "ADD datapoints :amount",
                    "ConditionExpression": "attribute_exists(partnerId)",
                    "ExpressionAttributeValues": {":amount": {"N": str(amount)}},
                }
            },
            self._put_new({"partnerId": partner_id, "part": CREDIT_PREFIX + key, "fingerprint": fingerprint}),
        ]
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = _cancellations(error)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                raise NotFound(f"no partner {partner_id}", field="partnerId") from error
            if reasons[1:2] != ["ConditionalCheckFailed"]:
                raise
            stored = self._key_record(partner_id, CREDIT_PREFIX + key)
            if stored is None or stored.fingerprint != fingerprint:
                raise key_reused() from error
        return self.require(partner_id)

    # Its sales ------------------------------------------------------------------------
    def purchase_key(self, partner_id: str, key: str) -> KeyRecord | None:
        return self._key_record(partner_id, KEY_PREFIX + key)

    def store_data(self, partner_id: str, nonce: str, sale_json: str) -> int:
        """Stores a sale as sold, before it commits; returns how many pieces it took."""
        blob = zlib.compress(sale_json.encode())
        pieces = [blob[start : start + PIECE_BYTES] for start in range(0, len(blob), PIECE_BYTES)] or [b""]
        with self.table.batch_writer() as batch:
            for index, piece in enumerate(pieces):
                batch.put_item(
                    Item={"partnerId": partner_id, "part": _data_part(nonce, index), "piece": piece}
                )
        return len(pieces)

    def delete_data(self, partner_id: str, nonce: str, pieces: int) -> None:
        """Drops the data of a sale that did not commit."""
        with self.table.batch_writer() as batch:
            for index in range(pieces):
                batch.delete_item(Key={"partnerId": partner_id, "part": _data_part(nonce, index)})

    def commit_sale(
        self,
        partner: PartnerRecord,
        *,
        summary_json: str,
        debit: int,
        event: str,
        nonce: str,
        pieces: int,
        key: str | None,
        fingerprint: str,
    ) -> None:
        """Debits the partner and records its sale number `partner.sales + 1`, with its data
        (stored under `nonce`), its event and its key, in one transaction; SaleRaced if the
        partner changed since `partner` was read or the key was used meanwhile."""
        number = partner.sales + 1
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": _raw({"partnerId": partner.partnerId, "part": INFO}),
                    "UpdateExpression": "SET datapoints = :after, sales = :number",
                    "ConditionExpression": "datapoints = :balance AND trustLevel = :trust AND sales = :sales",
                    "ExpressionAttributeValues": _raw(
                        {
                            ":after": partner.datapoints - debit,
                            ":number": number,
                            ":balance": partner.datapoints,
                            ":trust": partner.trustLevel,
                            ":sales": partner.sales,
                        }
                    ),
                }
            },
            self.outbox.put_action(
                self._sale_key(partner.partnerId, number),
                event,
                {"summary": summary_json, "dataKey": nonce, "dataPieces": pieces},
            ),
        ]
        if key is not None:
            actions.append(
                self._put_new(
                    {
                        "partnerId": partner.partnerId,
                        "part": KEY_PREFIX + key,
                        "fingerprint": fingerprint,
                        "saleId": sale_id(partner.partnerId, number),
                    }
                )
            )
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = _cancellations(error)
            if key is not None and reasons[2:3] == ["ConditionalCheckFailed"]:
                raise SaleRaced(Raced.KEY) from error
            if "ConditionalCheckFailed" in reasons[:2]:
                raise SaleRaced(Raced.PARTNER) from error
            raise

    def sale_outbox_key(self, partner_id: str, sale: str) -> dict[str, str]:
        number = sale_number(partner_id, sale)
        if number is None:
            raise NotFound(f"no sale {sale} of partner {partner_id}", field="saleId")
        return self._sale_key(partner_id, number)

    def sale_json(self, partner_id: str, sale: str) -> str | None:
        """A committed sale, exactly as it was sold (JSON); None if there is none."""
        number = sale_number(partner_id, sale)
        if number is None:
            return None
        header = self.table.get_item(Key=self._sale_key(partner_id, number), ConsistentRead=True).get("Item")
        if header is None:
            return None
        nonce, pieces = str(header["dataKey"]), int(header["dataPieces"])
        keys = [{"partnerId": partner_id, "part": _data_part(nonce, i)} for i in range(pieces)]
        found: dict[str, bytes] = {}
        resource = aws.dynamodb_resource()
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                self.table_name: {"Keys": keys[start : start + 100], "ConsistentRead": True}
            }
            while request:
                answer = resource.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table_name, []):
                    found[str(item["part"])] = bytes(item["piece"])
                request = answer.get("UnprocessedKeys") or {}
        blob = b"".join(found[k["part"]] for k in keys)
        return zlib.decompress(blob).decode()

    def sale_summaries(self, partner_id: str, limit: int, after: str | None) -> tuple[list[str], str | None]:
        """Up to `limit` sale summaries (JSON), newest first, from the one after sale `after`;
        and the id of the last one if more follow."""
        params: dict[str, Any] = {
            "KeyConditionExpression": Key("partnerId").eq(partner_id) & Key("part").begins_with(SALE_PREFIX),
            "ScanIndexForward": False,
            "ProjectionExpression": "summary",
            "Limit": limit + 1,
        }
        if after is not None:
            number = sale_number(partner_id, after)
            if number is None:
                raise Unprocessable(f"{after} is not a sale of partner {partner_id}", field="after")
            params["ExclusiveStartKey"] = self._sale_key(partner_id, number)
        summaries: list[str] = []
        while len(summaries) <= limit:
            answer = self.table.query(**params)
            summaries.extend(str(item["summary"]) for item in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                break
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        if len(summaries) <= limit:
            return summaries, None
        page = summaries[:limit]
        return page, _sale_id_of_summary(page[-1])

    # Helpers --------------------------------------------------------------------------
    def _sale_key(self, partner_id: str, number: int) -> dict[str, str]:
        return {"partnerId": partner_id, "part": _sale_part(number)}

    def _put_new(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": _raw(item),
                "ConditionExpression": "attribute_not_exists(part)",
            }
        }

    def _key_record(self, partner_id: str, part: str) -> KeyRecord | None:
        item = self.table.get_item(Key={"partnerId": partner_id, "part": part}, ConsistentRead=True).get(
            "Item"
        )
        if item is None:
            return None
        sale = item.get("saleId")
        return KeyRecord(fingerprint=str(item["fingerprint"]), saleId=str(sale) if sale else None)


def _data_part(nonce: str, index: int) -> str:
    return f"{DATA_PREFIX}{nonce}#{index:04d}"


def _sale_id_of_summary(summary_json: str) -> str:
    return str(json.loads(summary_json)["saleId"])


def key_reused() -> Conflict:
    return Conflict("this Idempotency-Key was used for another request", field="header.idempotency-key")
