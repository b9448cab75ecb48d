"""Fixes to in-process moto that the grid's volumes need: transactions that cost what they
touch, and update expressions checked in linear time.

moto 5.2's `transact_write_items` backs up, for each action of a transaction, the whole table
the action writes to (`copy.deepcopy(table)`), so that it can roll back: a transaction of 100
actions on a table of N items copies 100 x N items. The readings ledger and the slot stores
write in transactions of up to 100 actions and grow with every reading, so ingestion slowed
down quadratically (a batch of 1,000 readings took tens of seconds after a few thousand).

The fix keeps moto's code and semantics (all or nothing) but backs up only the items the
transaction touches: while it runs, a whole table "copies" to itself, and on failure the
touched items are put back as they were. `install()` applies it, the returned function
removes it (`LocalCloud.start()` and `stop()`).

moto also checks that an update expression has at most one ADD, SET and REMOVE clause at
every node of its syntax tree, each time searching the node's whole subtree: quadratic in
the clauses, and the slot stores' updates have one clause per house or object (half of a
tick's time at 200 houses went there). Checking the root alone finds the same clauses
(each node's are a subset of the root's), so it raises the same errors.
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing.ast_nodes import UpdateExpression  # type: ignore[attr-defined]
from moto.dynamodb.parsing.validators import ActionCountValidator

Backup = dict[tuple[str, DynamoType, DynamoType | None], Item | None]


class _CopyKeepingTables:
    """The `copy` module as moto's DynamoDB backend sees it: a table is not copied."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, Table):
            return value
        return _copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(_copy, name)


def _key_of(table: Table, op_type: str, op: dict[str, Any]) -> tuple[DynamoType, DynamoType | None] | None:
    attributes = op.get("Item") if op_type == "Put" else op.get("Key")
    if not isinstance(attributes, dict) or table.hash_key_attr not in attributes:
        return None  # moto refuses the action before it writes anything
    hash_value = DynamoType(attributes[table.hash_key_attr])
    if table.range_key_attr is None:
        return hash_value, None
    if table.range_key_attr not in attributes:
        return None
    return hash_value, DynamoType(attributes[table.range_key_attr])


def _backup(backend: Any, transact_items: list[dict[str, Any]]) -> Backup:
    saved: Backup = {}
    for action in transact_items:
        if len(action) != 1:
            continue
        ((op_type, op),) = action.items()
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        if table is None:
            continue
        key = _key_of(table, op_type, op)
        if key is None or (op["TableName"], *key) in saved:
            continue
        current = table.get_item(*key)
        saved[(op["TableName"], *key)] = _copy.deepcopy(current) if current is not None else None
    return saved


def _restore(backend: Any, saved: Backup) -> None:
    for (table_name, hash_value, range_value), item in saved.items():
        table = backend.tables.get(table_name)
        if table is None:
            continue
        if item is None:
            if table.get_item(hash_value, range_value) is not None:
                table.delete_item(hash_value, range_value)
        elif range_value is not None:
            table.items[hash_value][range_value] = item
        else:
            table.items[hash_value] = item


def install() -> Callable[[], None]:
    """Applies the fix; returns what removes it."""
    backend_class = dynamodb_models.DynamoDBBackend
    original = backend_class.transact_write_items
    module_copy = dynamodb_models.copy

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = _backup(self, transact_items) if len(transact_items) <= 100 else {}
        try:
            original(self, transact_items)
        except Exception:
            _restore(self, saved)
            raise

    original_traverse = ActionCountValidator.traverse

    def traverse_root_only(self: Any, node: Any) -> Any:
        return self.verify_action_counts(node) if isinstance(node, UpdateExpression) else node

    backend_class.transact_write_items = transact_write_items  # type: ignore[method-assign]
    dynamodb_models.copy = _CopyKeepingTables()  # type: ignore[assignment]
    ActionCountValidator.traverse = traverse_root_only

    def remove() -> None:
        backend_class.transact_write_items = original  # type: ignore[method-assign]
        dynamodb_models.copy = module_copy
        ActionCountValidator.traverse = original_traverse

    return remove
